"""The /api/v1 contract in OpenAPI 3.1 pieces: each endpoint's parameters and answers, the error
body and the headers of every answer, built from the same constants the endpoints use.

`OPERATIONS` is keyed by the paths of `saas.PATHS`; `openapi.py` refuses to start if the two
differ, so an endpoint cannot be added or dropped without its description.
"""

from __future__ import annotations

from typing import Any

from chalicelib.portal import backup_report, catalog, paging, seats
from chalicelib.portal.api_routes import params

Schema = dict[str, Any]
JSON = "application/json"
INTEGER: Schema = {"type": "integer", "minimum": 0}
TEXT: Schema = {"type": "string"}
# The vendor's ids are at most 18 ASCII digits (params.CUSTOMER_ID_DIGITS).
CUSTOMER_ID: Schema = {"type": "integer", "minimum": 0,
                       "maximum": 10**params.CUSTOMER_ID_DIGITS - 1}
QUERY_NUMBER_MAX = 10**params.QUERY_NUMBER_DIGITS - 1
HEADERS: dict[str, Schema] = {
    "X-Request-Id": {"required": True, "schema": {"type": "string", "minLength": 1},
                     "description": "The request's id, on every answer."},
    "X-API-Limit-Remaining": {"required": True, "schema": INTEGER,
                              "description": "What is left of the partner's hourly budget."},
    "X-API-Limit-Resets": {
        "required": True, "description": "When the budget refills: UTC, ISO 8601, whole seconds.",
        "schema": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}},
    "X-API-Limit-Cost": {"required": True, "schema": INTEGER,
                         "description": "What this call cost (0 when nobody was charged)."},
}
RETRY_AFTER: Schema = {"required": True, "schema": {"type": "integer", "minimum": 1},
                       "description": "Seconds until the budget refills."}
WWW_AUTHENTICATE: Schema = {"required": True, "schema": TEXT,
                            "description": "The Basic realm to send credentials for."}


def obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """A closed object: every property required except `optional`, no others."""
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": [name for name in properties if name not in optional]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema, **limits: int) -> Schema:
    return {"type": "array", "items": items, **limits}


def enum(values: Any) -> Schema:
    return {"type": "string", "enum": sorted(values)}


APP_TYPES = {app for apps in catalog.APP_TYPES.values() for app in apps}
BULK_SEAT_TYPES = [t for product in seats.BULK_PRODUCTS for t in catalog.SEAT_APPS[product]]
WINDOW = obj({
    "timeWindow": {"type": "string", "pattern": r"^Between\d+dAnd\d+d$"},
    "status": enum(backup_report.HISTORY_STATUSES),
    "startTime": INTEGER, "endTime": INTEGER, "totalServiceCount": INTEGER,
    "activeServiceCount": INTEGER, "activeServiceWithBackupCount": INTEGER,
    "activeServiceWithPerfectBackupCount": INTEGER,
})
APPLICATION = obj({
    "appType": enum(APP_TYPES),
    "lastFullyProtectedTime": {"anyOf": [INTEGER, {"const": backup_report.OVER_BUCKET},
                                         {"type": "null"}]},
    "uningestedServiceCount": INTEGER, "usedBytes": INTEGER,
    "backupHistory": array(WINDOW, minItems=1, maxItems=backup_report.HISTORY_DAYS),
})
REMOTE_IDS = obj({
    "seatType": enum(catalog.ALL_SEAT_TYPES), "active": INTEGER, "paused": INTEGER,
    "archived": INTEGER, "unprotected": INTEGER, "discovered": INTEGER,
    "remoteIds": array(TEXT),
})
REPORT = obj({
    "customerId": INTEGER, "customerName": TEXT, "usedBytes": INTEGER,
    "suites": array(obj({"suiteType": enum(catalog.PRODUCTS), "appTypes": array(APPLICATION)})),
    "remoteIds": array(REMOTE_IDS),
}, optional=("remoteIds",))
SCHEMAS: dict[str, Schema] = {
    "Error": obj({"code": {"type": "string", "minLength": 1},
                  "message": {"type": "string", "minLength": 1}}),
    "Domain": obj({
        "saasCustomerId": INTEGER, "saasCustomerName": TEXT,
        "organizationId": {"type": ["integer", "null"]},
        "organizationName": {"type": ["string", "null"]},
        "domain": TEXT, "productType": enum(catalog.PRODUCTS), "seatsUsed": INTEGER,
        "retentionType": TEXT,
        "externalSubscriptionId": {"type": "string",
                                   "pattern": r"^Classic:(Office365|GoogleApps):\d+$"},
        "backupStats": obj({"activeServicesCount": INTEGER,
                            "activeServicesWithRecentBackupCount": INTEGER,
                            "backupPercentage": {"type": "number", "minimum": 0,
                                                 "maximum": 100}}),
    }),
    "Seat": obj({
        "mainId": TEXT, "name": TEXT, "seatType": enum(catalog.ALL_SEAT_TYPES),
        "seatState": enum(catalog.SEAT_STATES), "billable": {"enum": ["1", ""]},
        "dateAdded": {"type": "string",
                      "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$"},
        "remoteId": TEXT,
    }),
    "ApplicationsPage": obj({
        "pagination": obj({"page": INTEGER, "perPage": INTEGER, "totalPages": INTEGER,
                           "count": INTEGER}),
        "items": array(REPORT),
    }),
    "BulkSeatChangeRequest": {**obj({
        "seat_type": enum(BULK_SEAT_TYPES), "action_type": enum(seats.ACTIONS),
        "ids": array({"type": "string", "minLength": 1, "maxLength": seats.MAX_ID_LENGTH},
                     minItems=1, maxItems=seats.MAX_IDS) | {"uniqueItems": True},
    }), "additionalProperties": True},
    "BulkSeatChangeResult": obj({
        "action": enum(seats.ACTIONS), "appType": TEXT, "customerId": INTEGER,
        "id": INTEGER, "status": enum(("Success", "Failed")),
    }),
}


def answer(description: str, schema: Schema, extra: dict[str, Schema] | None = None) -> Schema:
    """A response: its JSON body and the headers every /api/v1 answer carries."""
    return {"description": description, "headers": {**HEADERS, **(extra or {})},
            "content": {JSON: {"schema": schema}}}


ERRORS: dict[str, Schema] = {
    "400": answer("A query value or the body is not what the endpoint takes.", ref("Error")),
    "401": answer("Missing, malformed or wrong Basic credentials.", ref("Error"),
                  {"WWW-Authenticate": WWW_AUTHENTICATE}),
    "403": answer("The API key is limited to other customers.", ref("Error")),
    "404": answer("No such customer or subscription for this partner (or malformed id).",
                  ref("Error")),
    "413": answer("The request body is larger than the endpoint takes.", ref("Error")),
    "429": answer("The partner's hourly budget cannot pay for this call.", ref("Error"),
                  {"Retry-After": RETRY_AFTER}),
}


def query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def path(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


CUSTOMER = path("saasCustomerId", CUSTOMER_ID, "The SaaS Protection customer's id.")
PAGING = [
    query("_page", {"type": "integer", "minimum": 1, "maximum": QUERY_NUMBER_MAX,
                    "default": paging.DEFAULT_PAGE}, "The page to answer, from 1."),
    query("_perPage", {"type": "integer", "minimum": 1, "maximum": paging.MAX_PER_PAGE,
                       "default": paging.DEFAULT_PER_PAGE}, "Items per page."),
]
PAGE_HEADERS: dict[str, Schema] = {
    name: {"required": True, "schema": INTEGER, "description": description}
    for name, description in (("X-Total-Count", "Items in the whole list."),
                              ("X-Total-Pages", "Pages at this _perPage."),
                              ("X-Page", "The page served."),
                              ("X-Per-Page", "The _perPage served."))}
SEAT_TYPES = "|".join(sorted(catalog.ALL_SEAT_TYPES))


BODY_ERRORS = {**ERRORS, "415": answer("The body is not sent as JSON.", ref("Error"))}
# The vendor answers 504 on large customers' seats; linkhub does so only with vendor realism on.
SEAT_ERRORS = {**ERRORS, "504": answer("The seat list took too long (a large customer).",
                                        ref("Error"))}
# linkhub's addition, which a client of the vendor's API ignores: the seat list's ETag.
ETAG: Schema = {"required": False, "schema": {"type": "string"},
                "description": "The seat list's strong ETag, the same on every page of the list "
                               "(absent for 30 seconds after a change)."}
IF_NONE_MATCH: Schema = {
    "name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "ETags of this list (or *): if one is current, 304 without a body."}
SEAT_ANSWERS = {**SEAT_ERRORS, "304": {
    "description": "Not Modified: the list is as the ETag named (charged as a 200).",
    "headers": {**HEADERS, **PAGE_HEADERS, "ETag": ETAG}}}


def operation(operation_id: str, summary: str, ok: Schema, parameters: list[Schema],
              errors: dict[str, Schema] = ERRORS, ok_headers: dict[str, Schema] | None = None,
              **more: Any) -> Schema:
    """One operation: a 200 with `ok` (and `ok_headers`), its error answers, its parameters."""
    return {"operationId": operation_id, "summary": summary, "parameters": parameters,
            "responses": {"200": answer("The answer.", ok, ok_headers), **errors}, **more}


OPERATIONS: dict[str, dict[str, Schema]] = {
    "saas/domains": {"get": operation(
        "getDomains", "Every SaaS Protection customer the key can see, as a bare array.",
        array(ref("Domain")), PAGING, ok_headers=PAGE_HEADERS)},
    "saas/{saasCustomerId}/seats": {"get": operation(
        "getSeats", "A customer's seats, as a bare array.", array(ref("Seat")), [
            CUSTOMER, *PAGING,
            query("seatType", {"type": "string",
                               "pattern": f"^({SEAT_TYPES})(,({SEAT_TYPES}))*$"},
                  "Comma-separated seat types (case-sensitive)."), IF_NONE_MATCH],
        errors=SEAT_ANSWERS, ok_headers=PAGE_HEADERS | {"ETag": ETAG})},
    "saas/{saasCustomerId}/applications": {"get": operation(
        "getApplications", "A customer's backup report: daily windows, newest first.",
        array(ref("ApplicationsPage"), minItems=1), [
            CUSTOMER,
            query("daysUntil", {"type": "integer", "minimum": 1, "maximum": QUERY_NUMBER_MAX,
                                "default": 10},
                  f"Days of history (at most {backup_report.HISTORY_DAYS} windows are kept)."),
            query("includeRemoteID", {"type": "integer", "enum": [0, 1], "default": 0},
                  "1 adds each seat type's remote ids.")])},
    "saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange": {"put": operation(
        "bulkSeatChange", "License, pause or unlicense up to 100 seats of one type "
        "(Microsoft 365 customers only).", array(ref("BulkSeatChangeResult")), [
            CUSTOMER,
            path("externalSubscriptionId",
                 {"type": "string", "pattern": r"^[\x21-\x7e]{1,200}$"},
                 "The customer's externalSubscriptionId, e.g. Classic:Office365:123456.")],
        BODY_ERRORS, requestBody={"required": True, "content": {JSON: {
            "schema": ref("BulkSeatChangeRequest")}}})},
}
