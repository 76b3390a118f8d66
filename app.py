"""The Chalice app: blueprints and middleware, nothing else."""
from chalice import Chalice

from chalicelib.api import admin, auth, authorizer, collections, invoices, me, payments, readings, service, staff
from chalicelib.jobs import notifications, readings as readings_jobs, reconcile
from chalicelib.middleware import observe_http

app = Chalice(app_name="cskh")
app.api.binary_types.append("application/pdf")
app.register_middleware(observe_http, "http")

for blueprint in (authorizer.bp, service.bp, auth.bp, me.bp, invoices.bp, payments.bp, admin.bp, staff.bp,
                  readings.bp, collections.bp, notifications.bp, readings_jobs.bp, reconcile.bp):
    app.register_blueprint(blueprint)
