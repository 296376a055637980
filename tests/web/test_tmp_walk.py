from tests import demo_pages
from tests.conftest import login

def test_walk(app_ctx, session):
    demo = demo_pages.load(app_ctx, session)
    c = app_ctx.test_client()
    login(c, demo.treasurer.user.email, "demo-password")
    for endpoint, url in demo.pages:
        if endpoint.startswith("season.") and url.endswith(".pdf"):
            open("/tmp/" + endpoint + ".pdf", "wb").write(c.get(url).get_data())
        if endpoint in ("season.survey", "season.loan"):
            open("/tmp/" + endpoint + ".html", "w").write(c.get(url).get_data(as_text=True))
    lot = [u for e, u in demo.pages if e == "sales.payout"]
    print(lot)
