from coop import create_app

app = create_app()
