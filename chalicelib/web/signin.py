"""Who is signed in to a page: one mechanism, each product declaring its own `SignIn`.

    HUB = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)   # in the product
    user = signed_in(page, HUB)                                           # in every page
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner
from chalicelib.web.page import Page

Actor = TypeVar("Actor")


@dataclass(frozen=True)
class SignIn(Generic[Actor]):
    """A product's sign-in: its session cookie, how to resume it, the banner of its actor.

    `resume` raises NotAuthenticated when the cookie names no live session of an active user.
    """

    cookie: str
    resume: Callable[[Runtime, str | None], Actor]
    banner: Callable[[Runtime, Actor], Banner]


def signed_in(page: Page, context: SignIn[Actor]) -> Actor:
    """The page's signed-in actor, its banner shown; NotAuthenticated sends GETs to log in."""
    actor = context.resume(page.runtime, page.read_cookie(context.cookie))
    show_banner(page, context, actor)
    return actor


def show_banner(page: Page, context: SignIn[Actor], actor: Actor) -> None:
    """Show `actor`'s banner on a page that resumed the session itself."""
    page.banner = context.banner(page.runtime, actor)
