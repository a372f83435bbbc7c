"""Small apps to copy: a FastAPI and an aiohttp.web login flow, and a bulk script with a journal (see README.md)."""
