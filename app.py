"""The Chalice app: blueprints and middleware, nothing else."""

from chalice import Chalice

from chalicelib.api import (
    accounts,
    admin,
    auth,
    authorizer,
    banks,
    channels,
    chat,
    collections,
    debits,
    imports,
    invoices,
    kpis,
    me,
    partners,
    partners_admin,
    payments,
    photos,
    privacy,
    readings,
    reminders,
    self_readings,
    service,
    staff,
    statements,
    tickets,
    water_cuts,
    web,
)
from chalicelib.jobs import chat as chat_jobs
from chalicelib.jobs import debits as debit_jobs
from chalicelib.jobs import einvoices as einvoice_jobs
from chalicelib.jobs import imports as imports_jobs
from chalicelib.jobs import ledger as ledger_jobs
from chalicelib.jobs import notifications, reconcile, zalo_token
from chalicelib.jobs import partners as partner_jobs
from chalicelib.jobs import readings as readings_jobs
from chalicelib.jobs import reminders as reminder_jobs
from chalicelib.jobs import tickets as ticket_jobs
from chalicelib.middleware import observe_http

app = Chalice(app_name="cskh")
app.api.binary_types.extend(
    [
        "application/pdf",  # invoice PDFs out; Excel bank statements in
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
)
app.register_middleware(observe_http, "http")

for blueprint in (
    authorizer.bp,
    service.bp,
    auth.bp,
    me.bp,
    invoices.bp,
    payments.bp,
    channels.bp,  # customers and VNPay
    banks.bp,  # bank transfers notified by SePay / Casso
    reminders.bp,  # reminder preferences
    privacy.bp,  # personal data: the right of access
    photos.bp,  # photos sent with reports (uploads straight to S3)
    staff.bp,
    readings.bp,
    self_readings.bp,  # a customer's own reading; held readings reviewed (issue 18)
    collections.bp,  # field staff
    admin.bp,
    statements.bp,
    debits.bp,  # authorised debit at the banks
    imports.bp,
    kpis.bp,  # managers
    accounts.bp,  # the customer account statement
    notifications.bp,
    readings_jobs.bp,
    einvoice_jobs.bp,  # legal e-invoices through the provider
    imports_jobs.bp,
    reconcile.bp,  # queues and schedules
    reminder_jobs.bp,
    web.bp,  # the customer website (/ and /web/*)
    chat.bp,
    chat_jobs.bp,
    zalo_token.bp,  # chat assistants (Zalo, Facebook)
    ledger_jobs.bp,  # the customer accounts' nightly check
    partners.bp,  # bill payment through banks, wallets, collection agents (signed requests)
    partners_admin.bp,
    partner_jobs.bp,  # their daily files
    debit_jobs.bp,  # authorised debit: the monthly run
    tickets.bp,
    ticket_jobs.bp,  # service requests (issue 18) and their overdue sweep
    water_cuts.bp,  # water-cut notices (issue 18): managers, customers, the public board
):
    app.register_blueprint(blueprint)
