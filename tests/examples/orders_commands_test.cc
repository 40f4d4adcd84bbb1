// Orders through a command bus on a real embedded store.
#include <gtest/gtest.h>

#include "duet/embedded_store.h"
#include "orders/orders.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::orders {
namespace {

class OrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;
    store_ = EmbeddedStore::Open(dir_ / "data", options).value();
    repo_ = std::make_unique<Repository>(
        store_.get(), RepositoryOptions{.snapshot_dir = dir_ / "data" / "snapshots"});
    bus_ = std::make_unique<CommandBus>(repo_.get());
    ASSERT_TRUE(Register(*bus_).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<CommandBus> bus_;
};

constexpr const char* kPlace =
    R"({"order":"o1","customer":"c1","items":[{"sku":"w-1","name":"Widget","qty":2,"price":150,"currency":"EUR"}]})";

TEST_F(OrdersTest, LifeCycleFromJson) {
  ASSERT_TRUE(bus_->Dispatch("PlaceOrder", kPlace).ok());
  ASSERT_TRUE(
      bus_->Dispatch(
              "AddItem",
              R"({"order":"o1","item":{"sku":"g","name":"Gadget","qty":1,"price":5,"currency":"EUR"}})")
          .ok());
  ASSERT_TRUE(bus_->Dispatch("ConfirmOrder", R"({"order":"o1"})").ok());
  auto shipped = bus_->Dispatch("ShipOrder", R"({"order":"o1"})");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->stream, "order-o1");
  EXPECT_EQ(shipped->version, StreamVersion(3));
  auto order = repo_->Load(Orders(), "o1");
  EXPECT_EQ(order->state.phase, OrderState::Phase::kShipped);
  EXPECT_EQ(order->state.items.size(), 2u);
  EXPECT_EQ(bus_->Dispatch("CancelOrder", R"({"order":"o1"})").status().subject(), "order-shipped");
}

TEST_F(OrdersTest, BadJsonNamesTheNestedField) {
  struct Case {
    const char* type;
    const char* body;
    const char* field;
  } cases[] = {
      {"PlaceOrder", R"({"order":"o","customer":"c"})", "items"},
      {"PlaceOrder", R"({"order":"o","customer":"c","items":{}})", "items"},
      {"PlaceOrder", R"({"order":"o","customer":"c","items":[7]})", "items[0]"},
      {"PlaceOrder",
       R"({"order":"o","customer":"c","items":[{"sku":"s","name":"n","qty":1,"price":1}]})",
       "items[0].currency"},
      {"PlaceOrder",
       R"({"order":"o","customer":"c","items":[{"sku":"s","name":"n","qty":0,"price":1,"currency":"EUR"}]})",
       "items[0].qty"},
      {"PlaceOrder",
       R"({"order":"o","customer":"c","items":[{"sku":"s","name":"n","qty":1,"price":1,"currency":"EUR","color":"red"}]})",
       "items[0].color"},
      {"AddItem",
       R"({"order":"o","item":{"sku":"s","name":"n","qty":1,"price":-1,"currency":"EUR"}})",
       "item.price"},
      {"AddItem",
       R"({"order":"o","item":{"sku":"s","name":"n","qty":"1","price":1,"currency":"EUR"}})",
       "item.qty"},
      {"CancelOrder", R"({"order":"o","reason":5})", "reason"},
      {"ConfirmOrder", R"({})", "order"},
  };
  for (const Case& c : cases) {
    auto r = bus_->Dispatch(c.type, c.body);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << c.body << ": " << r.status();
    EXPECT_EQ(r.status().subject(), c.field) << c.body;
  }
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

TEST_F(OrdersTest, PlacingTheSameOrderIdTwiceIsRefused) {
  ASSERT_TRUE(bus_->Dispatch("PlaceOrder", kPlace).ok());
  EXPECT_EQ(bus_->Dispatch("PlaceOrder", kPlace).status().subject(), "order-already-exists");
}

TEST_F(OrdersTest, SamePlaceOrderCommandIdIsIdempotent) {
  auto first = bus_->Dispatch("PlaceOrder", kPlace, CommandOptions{.command_id = "p-1"});
  auto second = bus_->Dispatch("PlaceOrder", kPlace, CommandOptions{.command_id = "p-1"});
  ASSERT_TRUE(first.ok() && second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->position, first->position);
}

}  // namespace
}  // namespace duet::examples::orders
