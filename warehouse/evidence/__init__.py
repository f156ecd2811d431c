"""The evidence chain's offline-verifiable core: .ots parsing, block headers, calendars, export packages."""
