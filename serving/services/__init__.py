"""The service layer HTTP routes, the gRPC servicer, L2 and L3 all call; it speaks no HTTP."""
