#include "readstore/search_query.h"

#include <cmath>
#include <cstdint>

namespace duet::readstore {
namespace {

// Decodes one UTF-8 code point at the front of `in` into *cp and returns its
// length; an invalid sequence decodes as one byte of U+FFFD's class
// (returned as 0xFFFFFFFF: never part of a word).
size_t DecodeUtf8(std::string_view in, uint32_t* cp) {
  const auto b0 = uint8_t(in[0]);
  size_t n = 0;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if ((b0 & 0xe0) == 0xc0) n = 2;
  if ((b0 & 0xf0) == 0xe0) n = 3;
  if ((b0 & 0xf8) == 0xf0) n = 4;
  *cp = 0xffffffff;
  if (n == 0 || in.size() < n) return 1;
  uint32_t value = b0 & (0x7f >> n);
  for (size_t i = 1; i < n; ++i) {
    const auto b = uint8_t(in[i]);
    if ((b & 0xc0) != 0x80) return 1;
    value = (value << 6) | (b & 0x3f);
  }
  *cp = value;
  return n;
}

bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  }
  if (cp <= 0xbf) {
    // Latin-1 punctuation and symbols, except the letters and digits there.
    return cp == 0xaa || cp == 0xb2 || cp == 0xb3 || cp == 0xb5 || cp == 0xb9 || cp == 0xba ||
           (cp >= 0xbc && cp <= 0xbe);
  }
  if (cp == 0xd7 || cp == 0xf7) return false;      // multiplication, division
  if (cp >= 0x2000 && cp <= 0x2bff) return false;  // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303f) return false;  // CJK punctuation
  if (cp >= 0xfe10 && cp <= 0xfe6f) return false;  // vertical / small forms
  if (cp >= 0xff00 && cp <= 0xff0f) return false;  // fullwidth punctuation
  if (cp >= 0xff1a && cp <= 0xff20) return false;
  if (cp >= 0xff3b && cp <= 0xff40) return false;
  if (cp >= 0xff5b && cp <= 0xff65) return false;
  return cp <= 0x10ffff;
}

}  // namespace

std::vector<std::string> SearchWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  while (!text.empty()) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(text, &cp);
    if (IsWordCodePoint(cp)) {
      word.append(text.substr(0, n));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
    text.remove_prefix(n);
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

Result<std::string> SearchQueryExpression(std::string_view text) {
  const std::vector<std::string> words = SearchWords(text);
  if (words.empty()) return Status::InvalidArgument("q", "has no word to search for");
  if (words.size() > kMaxSearchWords) {
    return Status::InvalidArgument("q", "has more than 32 words");
  }
  std::string expression;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) expression += " AND ";
    // Words never contain a double quote (it is not a word character).
    expression += '"' + words[i] + '"';
  }
  expression += '*';
  return expression;
}

std::string QuotedTerm(std::string_view term) {
  std::string out = "\"";
  for (const char c : term) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

double Idf(const CorpusStats& corpus, int64_t df) {
  const double idf = std::log((double(corpus.docs) - double(df) + 0.5) / (double(df) + 0.5));
  return idf > 0 ? idf : 1e-6;
}

int64_t PhraseCount(const RankPhrase& phrase, const std::vector<std::string>& doc) {
  const size_t n = phrase.tokens.size();
  if (n == 0 || doc.size() < n) return 0;
  int64_t count = 0;
  for (size_t at = 0; at + n <= doc.size(); ++at) {
    bool match = true;
    for (size_t i = 0; i < n && match; ++i) {
      const std::string& want = phrase.tokens[i];
      const std::string& have = doc[at + i];
      match =
          (phrase.prefix && i + 1 == n) ? have.compare(0, want.size(), want) == 0 : have == want;
    }
    if (match) ++count;
  }
  return count;
}

double Bm25(const std::vector<RankPhrase>& phrases, const std::vector<std::string>& doc,
            const CorpusStats& corpus) {
  constexpr double kK1 = 1.2;
  constexpr double kB = 0.75;
  double avg_len = corpus.docs > 0 ? double(corpus.tokens) / double(corpus.docs) : 0;
  if (avg_len <= 0) avg_len = 1;
  const double len = double(doc.size());
  double score = 0;
  for (const RankPhrase& phrase : phrases) {
    const double tf = double(PhraseCount(phrase, doc));
    // Written as FTS5's fts5Bm25Function writes it, so equal inputs round equally.
    score += phrase.idf * (tf * (kK1 + 1.0)) / (tf + kK1 * (1 - kB + kB * len / avg_len));
  }
  return score;
}

}  // namespace duet::readstore
