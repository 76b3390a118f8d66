"""The built-in (Lambda TOKEN) authorizer: verifies the access token and
grants each role its own routes. API Gateway caches the answer per token."""

from __future__ import annotations

from chalice import AuthResponse, AuthRoute, Blueprint

from chalicelib.config import get_settings, jwt_signing_key
from chalicelib.domain import tokens

bp = Blueprint(__name__)

ROLE_ROUTES = {
    "customer": ["/v1/me", "/v1/me/*", "/v1/customers/*", "/v1/invoices/*", "/v1/payments", "/v1/payments/*"],
    "staff": ["/v1/staff/*"],
    "admin": ["/v1/admin/*"],
}


def authorize(header: str) -> AuthResponse:
    settings = get_settings()
    scheme, _, token = (header or "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token:
            raise tokens.TokenError("no bearer token")
        claims = tokens.decode(jwt_signing_key(), settings.jwt_issuer, token.strip(), "access")
    except tokens.TokenError:
        if not settings.is_local:
            # API Gateway's convention for a 401 from a Lambda authorizer.
            raise Exception("Unauthorized") from None
        return AuthResponse(routes=[], principal_id="anonymous")  # chalice local: a 403
    ident = tokens.identity_from_claims(claims)
    routes: list[str | AuthRoute] = list(ROLE_ROUTES[ident.role])
    return AuthResponse(
        routes=routes,
        principal_id=ident.account_id,
        context={
            "account_id": ident.account_id,
            "role": ident.role,
            "codes": ",".join(ident.customer_codes),
            "family_id": ident.family_id,
            "device": ident.device,
        },
    )


@bp.authorizer(ttl_seconds=300)
def bearer(auth_request):
    return authorize(auth_request.token)
