from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.ready_response_ready import ReadyResponseReady
from typing import cast



def _get_kwargs(
    
) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v2/health/ready",
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ReadyResponseReady | None:
    if response.status_code == 200:
        response_200 = ReadyResponseReady.from_dict(response.json())



        return response_200

    if response.status_code == 503:
        response_503 = cast(Any, None)
        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ReadyResponseReady]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[Any | ReadyResponseReady]:
    """ Ready

     Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
    most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
    held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ReadyResponseReady]
     """


    kwargs = _get_kwargs(
        
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,

) -> Any | ReadyResponseReady | None:
    """ Ready

     Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
    most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
    held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ReadyResponseReady
     """


    return sync_detailed(
        client=client,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[Any | ReadyResponseReady]:
    """ Ready

     Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
    most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
    held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ReadyResponseReady]
     """


    kwargs = _get_kwargs(
        
    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,

) -> Any | ReadyResponseReady | None:
    """ Ready

     Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
    most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
    held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ReadyResponseReady
     """


    return (await asyncio_detailed(
        client=client,

    )).parsed
