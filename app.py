"""The Chalice app: blueprints and middleware, nothing else."""
from chalice import Chalice

from chalicelib.api import admin, auth, authorizer, invoices, me, payments, service
from chalicelib.jobs import notifications, reconcile
from chalicelib.middleware import observe_http

app = Chalice(app_name="cskh")
app.api.binary_types.append("application/pdf")
app.register_middleware(observe_http, "http")

for blueprint in (authorizer.bp, service.bp, auth.bp, me.bp, invoices.bp, payments.bp, admin.bp,
                  notifications.bp, reconcile.bp):
    app.register_blueprint(blueprint)
