"""Top-level errors and their codes: every error a client gets outside `userErrors` carries `extensions.code`,
one of CODES, so that clients branch on the code and never on the message.

Errors the service raises on purpose are made with `refusal` (or a GraphQLError with the code in its
extensions); the rest are given their code by where they arose (CodedErrors): the document did not parse, it
does not fit the schema, a value was refused by its scalar, a limit was crossed, the store was away. Anything
unexpected is masked (CodedErrors does both), so no stack trace or internal detail reaches a client, and answered
INTERNAL. The HTTP edge answers its refusals (401, 413, 400, ...) with the same shape and codes (`refusal_body`).
"""

from __future__ import annotations

import enum
from typing import Any, Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import AddValidationRules, MaskErrors
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from projections.store import StoreUnavailable


class Code(str, enum.Enum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    IDENTITY_PROVIDER_UNAVAILABLE = "IDENTITY_PROVIDER_UNAVAILABLE"
    INTERNAL = "INTERNAL"


# What each code means; the schema's description and the README list them from here.
CODES: dict[Code, str] = {
    Code.GRAPHQL_PARSE_FAILED: "the document is not GraphQL (a syntax error)",
    Code.GRAPHQL_VALIDATION_FAILED: "the document does not fit the schema: an unknown field or argument, a wrong type, "
                                    "a variable undeclared or unused; introspection while it is off",
    Code.BAD_REQUEST: "not a request the service can run: a body that is not a JSON object, a batch, no query, a "
                      "mutation over GET, a subscription over HTTP, an operationName the document does not hold, a "
                      "document of several operations without an operationName",
    Code.BAD_USER_INPUT: "a value is refused: a Date or DateTime that is not one, a cursor not of this list, `first` "
                         "out of range, an id read at one view asked for at another, a subscription's `after` "
                         "beyond the end of the log; a report's `asAt`, `since` or `format` that is not one (HTTP 400)",
    Code.UNAUTHENTICATED: "no bearer token, or one that is malformed, forged, expired or not for this service "
                          "(HTTP 401)",
    Code.FORBIDDEN: "the caller's role may not ask this",
    Code.NOT_FOUND: "no report on such a plan for this caller: there is none, or the caller may not read it (HTTP 404)",
    Code.QUERY_TOO_COSTLY: "the query is over a limit: depth, tokens, aliases or cost; or the caller has as many costly "
                           "reads (reports included) under way as it may, or one took too long (a report: HTTP 429, 503)",
    Code.REQUEST_TOO_LARGE: "the body, or the request's line and headers, are over their limits (HTTP 413, 431)",
    Code.REQUEST_TIMEOUT: "the request was sent too slowly (HTTP 408)",
    Code.STORE_UNAVAILABLE: "the record store cannot be reached: retry shortly (a mutation retried with the same "
                            "idempotencyKey is made once)",
    Code.IDENTITY_PROVIDER_UNAVAILABLE: "the identity provider's keys cannot be fetched (HTTP 503)",
    Code.INTERNAL: "the service failed: the message says no more; the request may be reported",
}

DESCRIPTION = (
    "The SEND partnership record. Refusals of a mutation's change come back in its `userErrors`; every other error "
    "is a top-level GraphQL error whose `extensions.code` is one of:\n\n"
    + "\n".join(f"- {code.value}: {meaning}" for code, meaning in CODES.items())
)

# HTTP refusals of the edge, by status.
HTTP_CODES = {400: Code.BAD_REQUEST, 401: Code.UNAUTHENTICATED, 408: Code.REQUEST_TIMEOUT, 404: Code.NOT_FOUND, 413: Code.REQUEST_TOO_LARGE,
              431: Code.REQUEST_TOO_LARGE, 500: Code.INTERNAL, 503: Code.IDENTITY_PROVIDER_UNAVAILABLE}


def refusal(message: str, code: Code = Code.BAD_USER_INPUT) -> GraphQLError:
    """An error the service raises on purpose, with its code."""
    return GraphQLError(message, extensions={"code": code.value})


def refusal_body(message: str, status: int, code: Code | None = None) -> dict:
    """The JSON body of an HTTP refusal: a GraphQL response with one error and no data. A message quoting the
    request shows a lone surrogate in it as an escape (it has no UTF-8)."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"errors": [{"message": message, "extensions": {"code": (code or HTTP_CODES.get(status, Code.BAD_REQUEST)).value}}]}


# Errors that are told to the client as they are; any other original error is unexpected.
TOLD = (GraphQLError, StoreUnavailable, CannotGetOperationTypeError, InvalidOperationTypeError)


def is_unexpected(error: GraphQLError) -> bool:
    """Errors the service raised on purpose, or that GraphQL raised about the request, are told; anything else is
    masked. A value refused by its scalar (a ValueError) is told: validation names its place in the document."""
    original = error.original_error
    if original is None or isinstance(original, TOLD):
        return False
    return not (error.nodes and error.path is None)


def code_of(error: GraphQLError) -> Code:
    """The code of an error that was not given one where it was raised."""
    original = error.original_error
    if isinstance(original, StoreUnavailable):
        return Code.STORE_UNAVAILABLE
    if isinstance(original, (CannotGetOperationTypeError, InvalidOperationTypeError)):
        return Code.BAD_REQUEST
    if isinstance(error, GraphQLSyntaxError):
        # graphql-core's token limit (MaxTokensLimiter) stops the parser with a syntax error of its own
        return Code.QUERY_TOO_COSTLY if "contains more than" in error.message else Code.GRAPHQL_PARSE_FAILED
    if error.path is None:
        return Code.BAD_USER_INPUT  # validation is coded as it ends: what is left is a variable's value refused
    return Code.INTERNAL


def tag(error: GraphQLError, code: Code | None = None) -> None:
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": (code or code_of(error)).value}


def tag_invalid(errors: list[GraphQLError]) -> None:
    """The codes of a document's validation errors."""
    for error in errors:
        # a scalar refusing a literal value is the caller's input; anything else does not fit the schema
        tag(error, Code.BAD_USER_INPUT if error.original_error is not None else Code.GRAPHQL_VALIDATION_FAILED)


class CodedErrors(MaskErrors):
    """Masks unexpected errors (`is_unexpected`) as INTERNAL, and gives every other error of a result its code,
    where it was not given one when it was raised. The schema's one extension (service/graphql/schema.py) builds
    on it."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The error masked as INTERNAL; the request's log line says it failed (service/app.py, RequestLog)."""
        masked = super().anonymise_error(error)
        tag(masked, Code.INTERNAL)
        request = getattr(self.execution_context.context, "request", None)
        if request is not None:
            request.scope.setdefault("state", {})["failed"] = True
        return masked

    def _process_result(self, result: object) -> None:
        """As MaskErrors does, without its isinstance against a runtime Protocol (some 20 µs a request)."""
        found = getattr(result, "errors", None)
        if found:
            result.errors = self._process_errors(found)  # type: ignore[attr-defined]

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or self.execution_context.pre_execution_errors or ():
            tag(error)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._stream_result_processed = True
        self._process_stream_result(result)
        for error in getattr(result, "errors", None) or ():
            tag(error)
        yield


def too_costly(limit: AddValidationRules) -> AddValidationRules:
    """A limit made of validation rules, whose refusals carry QUERY_TOO_COSTLY."""
    limit.validation_rules = [_coded(rule, Code.QUERY_TOO_COSTLY) for rule in limit.validation_rules]
    return limit


def _coded(rule: type, code: Code) -> type:
    class Coded(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context: Any) -> None:
            super().__init__(_Reporting(context, code))

    Coded.__name__ = rule.__name__
    return Coded


class _Reporting:
    """A validation context whose reported errors carry a code (the limits report through the context itself)."""

    def __init__(self, context: Any, code: Code):
        self._context, self._code = context, code

    def report_error(self, error: GraphQLError) -> None:
        tag(error, self._code)
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)
