"""What every adapter shares: cookies, replies, protected-view decisions and the
decorator's shape, CSRF and the request's nonce, the logout request and answers, the
login cookie, and the lazy per-request resolution of the WSGI-side adapters."""
