"""Buttons are routed by what each handler declared it matches, in the order declared."""

from __future__ import annotations

import pytest

from bot.core.choices import ChoiceRouter, Exact, Handler, Prefix, Rating


class Pressed:
    """Records which handler got which button: the turn here is simply the list of what happened."""

    def __init__(self) -> None:
        self.router = ChoiceRouter[list[str]](fallback=self.named("fallback"))

    @staticmethod
    def named(name: str) -> Handler[list[str]]:
        async def handler(seen: list[str], rest: str) -> None:
            seen.append(f"{name}({rest})")

        return handler

    async def press(self, payload: str) -> list[str]:
        seen: list[str] = []
        await self.router.dispatch(seen, payload)
        return seen


@pytest.mark.asyncio
async def test_an_exact_matcher_takes_only_its_own_payload() -> None:
    buttons = Pressed()
    buttons.router.on(Exact("feedback:helped"), handler=buttons.named("helped"))
    assert await buttons.press("feedback:helped") == ["helped()"]
    assert await buttons.press("feedback:helped:twice") == ["fallback(feedback:helped:twice)"]


@pytest.mark.asyncio
async def test_a_prefix_matcher_hands_over_the_rest_of_the_payload() -> None:
    buttons = Pressed()
    buttons.router.on(Prefix("approval:approve:"), handler=buttons.named("approve"))
    buttons.router.on(Prefix("approval:deny:"), handler=buttons.named("deny"))
    assert await buttons.press("approval:approve:AP-7") == ["approve(AP-7)"]
    assert await buttons.press("approval:deny:AP-7") == ["deny(AP-7)"]


@pytest.mark.asyncio
async def test_the_first_declared_match_wins_and_one_handler_may_declare_several() -> None:
    buttons = Pressed()
    buttons.router.on(Exact("action:yes"), handler=buttons.named("yes"))
    buttons.router.on(Prefix("action:"), Prefix("approval:"), handler=buttons.named("actions"))
    assert await buttons.press("action:yes") == ["yes()"]
    assert await buttons.press("action:cancel") == ["actions(cancel)"]
    assert await buttons.press("approval:approve:AP-1") == ["actions(approve:AP-1)"]


@pytest.mark.asyncio
async def test_an_undeclared_payload_goes_to_the_fallback_whole() -> None:
    buttons = Pressed()
    buttons.router.on(Prefix("action:"), handler=buttons.named("actions"))
    assert await buttons.press("vpn-connect") == ["fallback(vpn-connect)"]
    assert await buttons.press("") == ["fallback()"]


def test_a_rating_payload_names_its_ticket_and_a_score_only_when_it_is_a_number() -> None:
    assert Rating.parse("HD-261122-ABCDEF:4") == Rating(ticket="HD-261122-ABCDEF", value="4")
    assert Rating.parse("HD-1:4").score == 4
    assert Rating.parse("HD-1:five").score is None
    assert Rating.parse("HD-1:²").score is None  # a digit to str.isdigit, not to int()
    assert Rating.parse("garbage").score is None
