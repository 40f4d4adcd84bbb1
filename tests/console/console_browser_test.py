#!/usr/bin/env python3
"""The web console in a real browser: Debian's chromium, headless, driven by
chromium-driver through python3-selenium (docs/decisions.md says why).

Starts `duet serve --role all` (both example domains) on 127.0.0.1 port 0
with a scratch data folder, then: opens every page; sends OpenAccount and
Deposit from the command form while a second tab watches the live tail and
sees both events arrive; runs `balance` from the query form with "wait for
my last write" and reads the new balance; opens the stream and an event;
verifies a projection (the determinism check) and reads "matches", sees the
parked-events section; starts a rebuild and waits for its progress bar to
reach the end; and checks that the browser logged no error (a failed request, a script error and a
Content-Security-Policy violation are all SEVERE entries of Chrome's
'browser' log). A screenshot of each page goes to --screenshots.

Then, on a node with tokens: without one the projections page asks for it;
with a query-only token the token page lists what it may use, the overview
says /metrics needs the admin scope, and the streams page works.

Exit 0 on success, 1 on a failure, 77 (skipped) when chromium, chromedriver
or selenium is missing (`make test` installs them: DEPS_TEST).

  console_browser_test.py --duet build/duet --work-dir /tmp/w --screenshots /tmp/s
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import time

SKIPPED = 77
WAIT_SECONDS = 20  # an upper bound for each wait, not a timing assertion
QUERY_TOKEN = "console-test-query-token-0123456789"
ADMIN_TOKEN = "console-test-admin-token-0123456789"
TOKENS_CONFIG = """
[[auth.tokens]]
name = "reader"
token = "%s"
scopes = ["query"]

[[auth.tokens]]
name = "ops"
token = "%s"
scopes = ["command", "query", "admin"]
""" % (QUERY_TOKEN, ADMIN_TOKEN)

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("console_browser_test: python3-selenium is not installed: skipped")
    sys.exit(SKIPPED)


def find_tool(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    return None


class Node:
    """`duet serve` on port 0; the URL is read from its banner's first line."""

    def __init__(self, duet, data_dir, log_path, config=None):
        self.log = open(log_path, "w")
        extra = ["--config", str(config)] if config else []
        self.process = subprocess.Popen(
            [duet, "serve", "--role", "all", "--data", str(data_dir), "--host", "127.0.0.1",
             "--port", "0"] + extra,
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        first = self.process.stdout.readline()
        marker = " on "
        if "is serving" not in first or marker not in first:
            self.stop()
            raise SystemExit("duet serve did not start: %r (see %s)" % (first, log_path))
        self.url = first.split(marker, 1)[1].split()[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Console:
    def __init__(self, driver, url, screenshots):
        self.driver = driver
        self.url = url
        self.screenshots = screenshots

    def open(self, fragment):
        self.driver.get("%s/ui/#/%s" % (self.url, fragment))

    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda d: condition(d))
        except TimeoutException:
            self.shot("failed")
            raise AssertionError("timed out waiting for " + what)

    def element(self, css):
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), css)

    def text_of(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""

    def type_into(self, css, text):
        field = self.element(css)
        field.clear()
        field.send_keys(text)

    def shot(self, name):
        path = self.screenshots / ("%s.png" % name)
        self.driver.save_screenshot(str(path))
        print("screenshot:", path)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(console):
    driver = console.driver
    # Overview: role and version from /health, live numbers from /metrics.
    console.open("overview")
    console.wait(lambda d: console.text_of("#stat-role") == "all", "the overview's role")
    console.wait(lambda d: console.text_of("#stat-head") not in ("", "–"), "the head position")
    console.wait(lambda d: console.text_of("#stat-append-rate") not in ("", "–"),
                 "a second scrape (the append rate)")

    # A second tab watches the live tail of the account category.
    commands_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    tail_tab = driver.current_window_handle
    console.open("tail")
    console.type_into("#tail-category", "account")
    console.element("#tail-category").submit()
    console.wait(lambda d: "waiting for events" in console.text_of("#tail-state"),
                 "the live tail to start")

    # Commands from the generated forms.
    driver.switch_to.window(commands_tab)
    console.open("commands/OpenAccount")
    console.type_into("#command-account", "alice")
    console.type_into("#command-owner", "Alice")
    console.element("#command-send").click()
    console.wait(lambda d: "Accepted and durable" in console.text_of("#command-answer"),
                 "OpenAccount's answer")
    console.shot("commands")
    console.open("commands/Deposit")
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#command-form").get_attribute(
        "data-command") == "Deposit", "the Deposit form")
    console.type_into("#command-account", "alice")
    console.type_into("#command-currency", "USD")
    console.type_into("#command-amount", "1234")
    console.element("#command-send").click()
    console.wait(lambda d: "Accepted and durable" in console.text_of("#command-answer"),
                 "Deposit's answer")
    deposit_position = int(console.text_of("#command-position"))

    # Both events arrived in the tail, newest first.
    driver.switch_to.window(tail_tab)
    console.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tail-rows tr")) >= 2,
                 "two events in the live tail")
    types = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#tail-rows .tail-type")]
    check(types == ["MoneyDeposited", "AccountOpened"], "the tail shows %r" % types)
    console.shot("tail")
    driver.close()
    driver.switch_to.window(commands_tab)

    # The balance, read after the deposit ("wait for my last write").
    console.open("queries/balance")
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#query-form").get_attribute(
        "data-query") == "balance", "the balance form")
    console.type_into("#query-account", "alice")
    console.element("#query-wait").click()
    console.element("#query-run").click()
    console.wait(lambda d: "Reflects position" in console.text_of("#query-position"),
                 "the balance answer")
    position_text = console.text_of("#query-position")
    check("waited for %d" % deposit_position in position_text,
          "the query did not pass min_position: %r" % position_text)
    table = console.text_of("#query-table")
    check('"USD":1234' in table.replace(" ", ""), "the balance table shows %r" % table)
    console.shot("queries")

    # The stream found by prefix, then one of its events.
    console.open("streams")
    console.type_into("#stream-search", "account-al")
    console.element("#stream-search").submit()
    console.element("#stream-table a").click()
    console.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stream-events tbody tr")) == 2,
                 "the stream's two events")
    console.shot("streams")
    driver.find_elements(By.CSS_SELECTOR, "#stream-events tbody tr a")[-1].click()
    console.wait(lambda d: "1234" in console.text_of("#event-data"), "the Deposited event's data")
    console.shot("event")
    # Its correlation id leads to the events of the same command: the deposit alone.
    console.element("#event-related a").click()
    console.wait(lambda d: "MoneyDeposited" in console.text_of("#related-events"),
                 "the events related to the deposit")
    check("AccountOpened" not in console.text_of("#related-events"),
          "another command's event is listed as related")

    # The determinism check of one projection, and the parked-events section
    # (the example projections park nothing: it says so).
    console.open("projections")
    console.element('button.verify[data-name="ledger-accounts"]').click()
    console.wait(lambda d: "ledger-accounts: matches" in console.text_of("#verify-result"),
                 "the verify of ledger-accounts to answer 'matches'")
    check("differing" not in console.text_of("#verify-result"),
          "a matching verify names differing keys: " + console.text_of("#verify-result"))
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#parked-events #parked-none") and
                 d.find_element(By.CSS_SELECTOR, "#parked-events").is_displayed(),
                 "the parked-events section")
    check(not driver.find_elements(By.CSS_SELECTOR, "#parked-events button.retry"),
          "a Retry button with nothing parked")
    console.shot("projections-verify")

    # A rebuild, watched to its end.
    button = console.element('button.rebuild[data-name="ledger-accounts"]')
    button.click()
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#progress-ledger-accounts") and
                 "rebuilt" in console.text_of('tr[data-projection="ledger-accounts"]'),
                 "the rebuild's progress bar to reach the end")
    bar = driver.find_element(By.CSS_SELECTOR, "#progress-ledger-accounts")
    check(bar.get_attribute("value") == bar.get_attribute("max"),
          "progress %s of %s" % (bar.get_attribute("value"), bar.get_attribute("max")))
    console.shot("projections")

    # The token page: an open server allows every scope.
    console.open("auth")
    console.wait(lambda d: "admin: allowed" in console.text_of("#token-result"),
                 "the token check")
    console.shot("auth")

    # Back to the overview last: its charts now hold the appends.
    console.open("overview")
    console.wait(lambda d: console.text_of("#stat-head") == str(deposit_position),
                 "the head to reach the deposit")
    console.wait(lambda d: console.text_of("#stat-append-rate") not in ("", "–"), "the charts")
    console.shot("overview")

    errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    check(not errors, "the browser logged errors: %r" % errors)


def run_with_tokens(console):
    """A node with tokens: pages the token may not use say so instead of failing."""
    driver = console.driver
    console.open("projections")
    console.wait(lambda d: "admin scope" in console.text_of("#projection-table"),
                 "the projections page to ask for a token")
    console.open("auth")
    console.type_into("#token", QUERY_TOKEN)
    console.element("#token").submit()
    console.wait(lambda d: "admin: not allowed for this token" in console.text_of("#token-result")
                 and "query: allowed" in console.text_of("#token-result"),
                 "the token page to list the query token's scopes")
    console.shot("auth-query-token")
    console.open("overview")
    console.wait(lambda d: "admin scope" in console.text_of("#metrics-state"),
                 "the overview to say /metrics needs the admin scope")
    console.open("streams")
    console.type_into("#stream-search", "account")
    console.element("#stream-search").submit()
    console.wait(lambda d: "No stream starts with" in console.text_of("#stream-results"),
                 "a search with the query token")
    # The refusals the browser itself logs are the 401 and 403 answers, nothing else.
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        check(" 401 " in message or " 403 " in message, "the browser logged: %r" % entry)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duet", required=True)
    parser.add_argument("--work-dir", required=True, type=pathlib.Path)
    parser.add_argument("--screenshots", required=True, type=pathlib.Path)
    args = parser.parse_args()

    chromium = find_tool("chromium", "/usr/bin/chromium")
    chromedriver = find_tool("chromedriver", "/usr/bin/chromedriver")
    if not chromium or not chromedriver:
        print("console_browser_test: chromium or chromium-driver is not installed: skipped")
        return SKIPPED

    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    config = args.work_dir / "tokens.toml"
    config.write_text(TOKENS_CONFIG)
    scenarios = [("open", None, run), ("tokens", config, run_with_tokens)]
    for name, node_config, scenario in scenarios:
        node = Node(args.duet, args.work_dir / ("data-" + name),
                    args.work_dir / ("serve-%s.log" % name), node_config)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1100,800",
                     "--user-data-dir=%s" % (args.work_dir / ("profile-" + name))):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = None
        try:
            driver = webdriver.Chrome(service=Service(chromedriver), options=options)
            scenario(Console(driver, node.url, args.screenshots))
        except AssertionError as failure:
            print("console_browser_test: %s node: FAILED: %s" % (name, failure))
            return 1
        finally:
            if driver is not None:
                driver.quit()
            node.stop()
    print("console_browser_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
