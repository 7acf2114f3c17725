"""What every adapter shares: cookies, replies, protected-view decisions, CSRF, logout answers."""
