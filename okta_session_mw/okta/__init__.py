"""The Okta Session API: requests and responses, the `Session` model, errors, the clients."""
