from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.recognize_files_body import RecognizeFilesBody
from ...models.recognize_response import RecognizeResponse
from ...types import File, FileTypes
from ...types import UNSET, Unset
from io import BytesIO
from typing import cast



def _get_kwargs(
    *,
    body:    File  |     RecognizeFilesBody  | Unset = UNSET,
    camera_id: str | Unset = 'default',
    deadline_ms: float | None | Unset = UNSET,
    alpha: int | None | Unset = UNSET,
    beta: float | None | Unset = UNSET,
    top_k: int | Unset = 5,
    x_frame_shape: None | str | Unset = UNSET,
    x_api_key: None | str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_frame_shape, Unset):
        headers["x-frame-shape"] = x_frame_shape

    if not isinstance(x_api_key, Unset):
        headers["x-api-key"] = x_api_key



    

    params: dict[str, Any] = {}

    params["camera_id"] = camera_id

    json_deadline_ms: float | None | Unset
    if isinstance(deadline_ms, Unset):
        json_deadline_ms = UNSET
    else:
        json_deadline_ms = deadline_ms
    params["deadline_ms"] = json_deadline_ms

    json_alpha: int | None | Unset
    if isinstance(alpha, Unset):
        json_alpha = UNSET
    else:
        json_alpha = alpha
    params["alpha"] = json_alpha

    json_beta: float | None | Unset
    if isinstance(beta, Unset):
        json_beta = UNSET
    else:
        json_beta = beta
    params["beta"] = json_beta

    params["top_k"] = top_k


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/recognize",
        "params": params,
    }

    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/octet-stream"
    if isinstance(body, RecognizeFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | RecognizeResponse | None:
    if response.status_code == 200:
        response_200 = RecognizeResponse.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = cast(Any, None)
        return response_400

    if response.status_code == 401:
        response_401 = cast(Any, None)
        return response_401

    if response.status_code == 403:
        response_403 = cast(Any, None)
        return response_403

    if response.status_code == 408:
        response_408 = cast(Any, None)
        return response_408

    if response.status_code == 413:
        response_413 = cast(Any, None)
        return response_413

    if response.status_code == 415:
        response_415 = cast(Any, None)
        return response_415

    if response.status_code == 422:
        response_422 = cast(Any, None)
        return response_422

    if response.status_code == 503:
        response_503 = cast(Any, None)
        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | RecognizeResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body:    File  |     RecognizeFilesBody  | Unset = UNSET,
    camera_id: str | Unset = 'default',
    deadline_ms: float | None | Unset = UNSET,
    alpha: int | None | Unset = UNSET,
    beta: float | None | Unset = UNSET,
    top_k: int | Unset = 5,
    x_frame_shape: None | str | Unset = UNSET,
    x_api_key: None | str | Unset = UNSET,

) -> Response[Any | RecognizeResponse]:
    """ Recognize

     Recognize the action in a clip: compress on the camera, classify on the edge server.

    Args:
        camera_id (str | Unset): camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)
            Default: 'default'.
        deadline_ms (float | None | Unset):
        alpha (int | None | Unset): fixed frame budget; give beta too, or neither
        beta (float | None | Unset): fixed spatial budget; give alpha too, or neither
        top_k (int | Unset):  Default: 5.
        x_frame_shape (None | str | Unset): F,H,W,3 of raw frames: required when the body is
            application/octet-stream
        x_api_key (None | str | Unset):
        body (File):
        body (RecognizeFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | RecognizeResponse]
     """


    kwargs = _get_kwargs(
        body=body,
camera_id=camera_id,
deadline_ms=deadline_ms,
alpha=alpha,
beta=beta,
top_k=top_k,
x_frame_shape=x_frame_shape,
x_api_key=x_api_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body:    File  |     RecognizeFilesBody  | Unset = UNSET,
    camera_id: str | Unset = 'default',
    deadline_ms: float | None | Unset = UNSET,
    alpha: int | None | Unset = UNSET,
    beta: float | None | Unset = UNSET,
    top_k: int | Unset = 5,
    x_frame_shape: None | str | Unset = UNSET,
    x_api_key: None | str | Unset = UNSET,

) -> Any | RecognizeResponse | None:
    """ Recognize

     Recognize the action in a clip: compress on the camera, classify on the edge server.

    Args:
        camera_id (str | Unset): camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)
            Default: 'default'.
        deadline_ms (float | None | Unset):
        alpha (int | None | Unset): fixed frame budget; give beta too, or neither
        beta (float | None | Unset): fixed spatial budget; give alpha too, or neither
        top_k (int | Unset):  Default: 5.
        x_frame_shape (None | str | Unset): F,H,W,3 of raw frames: required when the body is
            application/octet-stream
        x_api_key (None | str | Unset):
        body (File):
        body (RecognizeFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | RecognizeResponse
     """


    return sync_detailed(
        client=client,
body=body,
camera_id=camera_id,
deadline_ms=deadline_ms,
alpha=alpha,
beta=beta,
top_k=top_k,
x_frame_shape=x_frame_shape,
x_api_key=x_api_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body:    File  |     RecognizeFilesBody  | Unset = UNSET,
    camera_id: str | Unset = 'default',
    deadline_ms: float | None | Unset = UNSET,
    alpha: int | None | Unset = UNSET,
    beta: float | None | Unset = UNSET,
    top_k: int | Unset = 5,
    x_frame_shape: None | str | Unset = UNSET,
    x_api_key: None | str | Unset = UNSET,

) -> Response[Any | RecognizeResponse]:
    """ Recognize

     Recognize the action in a clip: compress on the camera, classify on the edge server.

    Args:
        camera_id (str | Unset): camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)
            Default: 'default'.
        deadline_ms (float | None | Unset):
        alpha (int | None | Unset): fixed frame budget; give beta too, or neither
        beta (float | None | Unset): fixed spatial budget; give alpha too, or neither
        top_k (int | Unset):  Default: 5.
        x_frame_shape (None | str | Unset): F,H,W,3 of raw frames: required when the body is
            application/octet-stream
        x_api_key (None | str | Unset):
        body (File):
        body (RecognizeFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | RecognizeResponse]
     """


    kwargs = _get_kwargs(
        body=body,
camera_id=camera_id,
deadline_ms=deadline_ms,
alpha=alpha,
beta=beta,
top_k=top_k,
x_frame_shape=x_frame_shape,
x_api_key=x_api_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body:    File  |     RecognizeFilesBody  | Unset = UNSET,
    camera_id: str | Unset = 'default',
    deadline_ms: float | None | Unset = UNSET,
    alpha: int | None | Unset = UNSET,
    beta: float | None | Unset = UNSET,
    top_k: int | Unset = 5,
    x_frame_shape: None | str | Unset = UNSET,
    x_api_key: None | str | Unset = UNSET,

) -> Any | RecognizeResponse | None:
    """ Recognize

     Recognize the action in a clip: compress on the camera, classify on the edge server.

    Args:
        camera_id (str | Unset): camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)
            Default: 'default'.
        deadline_ms (float | None | Unset):
        alpha (int | None | Unset): fixed frame budget; give beta too, or neither
        beta (float | None | Unset): fixed spatial budget; give alpha too, or neither
        top_k (int | Unset):  Default: 5.
        x_frame_shape (None | str | Unset): F,H,W,3 of raw frames: required when the body is
            application/octet-stream
        x_api_key (None | str | Unset):
        body (File):
        body (RecognizeFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | RecognizeResponse
     """


    return (await asyncio_detailed(
        client=client,
body=body,
camera_id=camera_id,
deadline_ms=deadline_ms,
alpha=alpha,
beta=beta,
top_k=top_k,
x_frame_shape=x_frame_shape,
x_api_key=x_api_key,

    )).parsed
