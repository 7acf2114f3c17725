"""Starlette/FastAPI: the pure ASGI middleware, protected views, the logout route."""
