from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.http_validation_error import HTTPValidationError
from ...models.status import Status
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    x_api_key: None | str | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_api_key, Unset):
        headers["x-api-key"] = x_api_key

    if not isinstance(authorization, Unset):
        headers["authorization"] = authorization



    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/status",
    }


    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> HTTPValidationError | Status | None:
    if response.status_code == 200:
        response_200 = Status.from_dict(response.json())



        return response_200

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())



        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[HTTPValidationError | Status]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_api_key: None | str | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Response[HTTPValidationError | Status]:
    """ Live Status

     What the status page shows: every camera's estimates with this replica's last answer to it, deadline
    hits per 10 s over the last 10 minutes, payload sizes, and the decoder's health and last reported
    load.
    A key bound to cameras sees only those.

    Args:
        x_api_key (None | str | Unset):
        authorization (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Status]
     """


    kwargs = _get_kwargs(
        x_api_key=x_api_key,
authorization=authorization,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    x_api_key: None | str | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> HTTPValidationError | Status | None:
    """ Live Status

     What the status page shows: every camera's estimates with this replica's last answer to it, deadline
    hits per 10 s over the last 10 minutes, payload sizes, and the decoder's health and last reported
    load.
    A key bound to cameras sees only those.

    Args:
        x_api_key (None | str | Unset):
        authorization (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Status
     """


    return sync_detailed(
        client=client,
x_api_key=x_api_key,
authorization=authorization,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_api_key: None | str | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> Response[HTTPValidationError | Status]:
    """ Live Status

     What the status page shows: every camera's estimates with this replica's last answer to it, deadline
    hits per 10 s over the last 10 minutes, payload sizes, and the decoder's health and last reported
    load.
    A key bound to cameras sees only those.

    Args:
        x_api_key (None | str | Unset):
        authorization (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Status]
     """


    kwargs = _get_kwargs(
        x_api_key=x_api_key,
authorization=authorization,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    x_api_key: None | str | Unset = UNSET,
    authorization: None | str | Unset = UNSET,

) -> HTTPValidationError | Status | None:
    """ Live Status

     What the status page shows: every camera's estimates with this replica's last answer to it, deadline
    hits per 10 s over the last 10 minutes, payload sizes, and the decoder's health and last reported
    load.
    A key bound to cameras sees only those.

    Args:
        x_api_key (None | str | Unset):
        authorization (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Status
     """


    return (await asyncio_detailed(
        client=client,
x_api_key=x_api_key,
authorization=authorization,

    )).parsed
