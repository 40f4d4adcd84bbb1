// The shipped `duet` binary: the whole command line (duet/main.h) over the
// two example domains, built exactly as a user's own binary would be.
#include <duet/main.h>

#include "ledger/ledger.h"
#include "orders/orders.h"

int main(int argc, char** argv) {
  return duet::Main(argc, argv,
                    {duet::examples::ledger::Domain(), duet::examples::orders::Domain()});
}
