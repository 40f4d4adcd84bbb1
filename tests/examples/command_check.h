// The checks a typed dispatch runs before anything loads (CommandBus::Check:
// the command's declared contract, then its Validate), on a bus that holds
// only the command types `RegisterCommands` registers. For the examples'
// field-rule tests.
#ifndef DUET_TESTS_EXAMPLES_COMMAND_CHECK_H_
#define DUET_TESTS_EXAMPLES_COMMAND_CHECK_H_

#include <gtest/gtest.h>

#include "duet/command_bus.h"

namespace duet::testing {

template <Status (*RegisterCommands)(CommandBus&), typename Cmd>
Status CheckCommand(const Cmd& command) {
  static const CommandBus* const bus = [] {
    auto* registered = new CommandBus(nullptr);  // registration and checks only
    EXPECT_TRUE(RegisterCommands(*registered).ok());
    return registered;
  }();
  return bus->Check(command);
}

}  // namespace duet::testing

#endif  // DUET_TESTS_EXAMPLES_COMMAND_CHECK_H_
