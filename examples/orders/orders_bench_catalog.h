// The orders bench's catalog, shared by the domain's bench history
// (orders_domain.cc) and the Xapian search peer (bench/peers/xapian_search.cc),
// so both index the same corpus: 4 of its 40 products are chocolate, so
// `chocolate` matches about a fifth of the orders, however many there are.
#ifndef DUET_EXAMPLES_ORDERS_ORDERS_BENCH_CATALOG_H_
#define DUET_EXAMPLES_ORDERS_ORDERS_BENCH_CATALOG_H_

namespace duet::examples::orders {

inline constexpr const char* kBenchProducts[] = {
    "Dark chocolate bar", "Green tea",     "Earl grey tea",   "Coffee beans",  "Espresso cups",
    "Milk chocolate",     "Tea pot",       "Herbal infusion", "Oat biscuits",  "Butter cookies",
    "Honey jar",          "Jasmine tea",   "Mint tea",        "Cocoa powder",  "Sugar cubes",
    "Chocolate truffles", "Ginger snaps",  "Rooibos",         "Matcha whisk",  "Coffee grinder",
    "French press",       "Tea strainer",  "Almond milk",     "Vanilla syrup", "Caramel wafers",
    "White chocolate",    "Lemon cake",    "Shortbread",      "Chai spices",   "Porcelain mug",
    "Travel flask",       "Filter papers", "Oolong tea",      "Green mug",     "Hazelnut spread",
    "Coconut macaroons",  "Black tea tin", "Cinnamon rolls",  "Marzipan",      "Fruit jelly"};

}  // namespace duet::examples::orders

#endif  // DUET_EXAMPLES_ORDERS_ORDERS_BENCH_CATALOG_H_
