"""The Okta Session API: requests and responses, the `Session` model and its parts, the clients."""
