"""Personal data (Decree 13/2023/ND-CP): the signed-in customer's right of access."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_response, query
from chalicelib.errors import ValidationError

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me/data", methods=["GET"], authorizer=bearer)
@api
def my_data():
    request = bp.current_request
    wanted = query(request).get("format")
    if wanted not in (None, "", "json"):
        raise ValidationError("format must be json", "Định dạng chỉ có thể là json.", field="format")
    service = deps.privacy()
    export = service.export(identity(request))
    headers = {"Cache-Control": "no-store"}
    if wanted == "json":
        body, filename = service.as_download(export)
        return Response(
            body=body,
            status_code=200,
            headers={
                **headers,
                "Content-Type": "application/json; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
    return json_response(export, headers=headers)
