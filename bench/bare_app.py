"""The yardstick for bench/http.py: a bare Flask app with one route returning
"ok", served by gunicorn with the same workers as Coop."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
