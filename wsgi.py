import gc

from coop import create_app

app = create_app()

# What the app is made of (its modules, routes, templates, translations) lives
# as long as the process: frozen out of the garbage collector's passes, which
# then walk only what requests make. A busy round's split kept in memory made
# each full pass cost a page's worth of time, most of it walking the app.
gc.collect()
gc.freeze()
