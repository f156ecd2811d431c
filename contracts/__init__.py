"""What appliances and Central Command agree on. Pure logic: no files, sockets or databases."""
