"""The utility's kinds of service request (issue 18): the TICKET_TYPES setting (config.py checks it), or
domain/tickets.DEFAULT_TYPES when none is configured. A port (ports/tickets.TicketTypeSource) so a table of
them, edited by managers, can replace this without the service knowing."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.tickets import DEFAULT_TYPES, TicketType


class ConfiguredTicketTypes:
    def __init__(self, configured: Sequence[TicketType] = ()) -> None:
        self._types = tuple(configured) or DEFAULT_TYPES

    def types(self) -> Sequence[TicketType]:
        return self._types
