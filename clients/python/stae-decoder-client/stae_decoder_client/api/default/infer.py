from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.http_validation_error import HTTPValidationError
from ...models.infer_response import InferResponse
from ...types import File, FileTypes
from ...types import UNSET, Unset
from io import BytesIO
from typing import cast



def _get_kwargs(
    *,
    body: File,
    top_k: int | Unset = 5,
    x_deadline_ms: float | None | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_deadline_ms, Unset):
        headers["x-deadline-ms"] = x_deadline_ms

    if not isinstance(authorization, Unset):
        headers["authorization"] = authorization



    

    params: dict[str, Any] = {}

    params["top_k"] = top_k


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/infer",
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | HTTPValidationError | InferResponse | None:
    if response.status_code == 200:
        response_200 = InferResponse.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = cast(Any, None)
        return response_400

    if response.status_code == 413:
        response_413 = cast(Any, None)
        return response_413

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())



        return response_422

    if response.status_code == 503:
        response_503 = cast(Any, None)
        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | HTTPValidationError | InferResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    top_k: int | Unset = 5,
    x_deadline_ms: float | None | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Response[Any | HTTPValidationError | InferResponse]:
    """ Infer

     Classify one semantic payload.

    Args:
        top_k (int | Unset):  Default: 5.
        x_deadline_ms (float | None | Unset): milliseconds the answer may take from when this
            request's headers arrive; the decoder schedules earliest deadline first, refuses at once
            (503, Retry-After) what it predicts it cannot finish in time and never computes a request
            whose deadline has passed. Absent: the service's request timeout.
        authorization (None | str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | InferResponse]
     """


    kwargs = _get_kwargs(
        body=body,
top_k=top_k,
x_deadline_ms=x_deadline_ms,
authorization=authorization,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    top_k: int | Unset = 5,
    x_deadline_ms: float | None | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Any | HTTPValidationError | InferResponse | None:
    """ Infer

     Classify one semantic payload.

    Args:
        top_k (int | Unset):  Default: 5.
        x_deadline_ms (float | None | Unset): milliseconds the answer may take from when this
            request's headers arrive; the decoder schedules earliest deadline first, refuses at once
            (503, Retry-After) what it predicts it cannot finish in time and never computes a request
            whose deadline has passed. Absent: the service's request timeout.
        authorization (None | str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | InferResponse
     """


    return sync_detailed(
        client=client,
body=body,
top_k=top_k,
x_deadline_ms=x_deadline_ms,
authorization=authorization,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    top_k: int | Unset = 5,
    x_deadline_ms: float | None | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Response[Any | HTTPValidationError | InferResponse]:
    """ Infer

     Classify one semantic payload.

    Args:
        top_k (int | Unset):  Default: 5.
        x_deadline_ms (float | None | Unset): milliseconds the answer may take from when this
            request's headers arrive; the decoder schedules earliest deadline first, refuses at once
            (503, Retry-After) what it predicts it cannot finish in time and never computes a request
            whose deadline has passed. Absent: the service's request timeout.
        authorization (None | str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | InferResponse]
     """


    kwargs = _get_kwargs(
        body=body,
top_k=top_k,
x_deadline_ms=x_deadline_ms,
authorization=authorization,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    top_k: int | Unset = 5,
    x_deadline_ms: float | None | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Any | HTTPValidationError | InferResponse | None:
    """ Infer

     Classify one semantic payload.

    Args:
        top_k (int | Unset):  Default: 5.
        x_deadline_ms (float | None | Unset): milliseconds the answer may take from when this
            request's headers arrive; the decoder schedules earliest deadline first, refuses at once
            (503, Retry-After) what it predicts it cannot finish in time and never computes a request
            whose deadline has passed. Absent: the service's request timeout.
        authorization (None | str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | InferResponse
     """


    return (await asyncio_detailed(
        client=client,
body=body,
top_k=top_k,
x_deadline_ms=x_deadline_ms,
authorization=authorization,

    )).parsed
