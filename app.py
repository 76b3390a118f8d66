"""The Chalice app: blueprints and middleware, nothing else."""
from chalice import Chalice

from chalicelib.api import (admin, auth, authorizer, channels, collections, imports, invoices, me, payments, readings,
                            service, staff)
from chalicelib.jobs import imports as imports_jobs, notifications, readings as readings_jobs, reconcile
from chalicelib.middleware import observe_http

app = Chalice(app_name="cskh")
app.api.binary_types.append("application/pdf")
app.register_middleware(observe_http, "http")

for blueprint in (
    authorizer.bp, service.bp,
    auth.bp, me.bp, invoices.bp, payments.bp, channels.bp,      # customers and VNPay
    staff.bp, readings.bp, collections.bp,                      # field staff
    admin.bp, imports.bp,                                       # managers
    notifications.bp, readings_jobs.bp, imports_jobs.bp, reconcile.bp,   # queues and schedules
):
    app.register_blueprint(blueprint)
