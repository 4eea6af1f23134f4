"""The second-factor step of a flow: send a one-time code, check the answer, lock self-service after too many."""

from __future__ import annotations

from dataclasses import replace

import structlog

from bot import messages
from bot.actions.buttons import CANCEL
from bot.actions.guards import Guards
from bot.actions.policy import ActionPolicy
from bot.actions.refusals import Refusals, in_words, utc_minute
from bot.actions.verification import CodeResult, Method, SecondFactor
from bot.audit import AuditEntry, AuditLog
from bot.core.directory import DirectoryAccount
from bot.core.flows import ActionFlow
from bot.core.model import Choice, Reply, ReplyKind
from bot.core.ports import Clock, FlowTurn
from bot.identity.email_codes import EmailDeliveryError

log = structlog.get_logger(__name__)


class CodeStep:
    """Asks for and checks the second factor of an action that needs assurance level 2."""

    def __init__(
        self,
        *,
        second_factor: SecondFactor,
        guards: Guards,
        policy: ActionPolicy,
        audit: AuditLog,
        refusals: Refusals,
        clock: Clock,
    ) -> None:
        self._factor = second_factor
        self._guards = guards
        self._policy = policy
        self._audit = audit
        self._refusals = refusals
        self._clock = clock

    async def challenge(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount) -> None:
        """Send a code (or ask for the authenticator's) and wait for it, with a fresh expiry."""
        method = await self._factor.method_for(email=flow.email, alternate_email=account.alternate_email)
        if method is None:
            await turn.set_flow(None)
            return await self._refusals.refuse(
                turn, intent=flow.action, actor=flow.email, reason=flow.reason, why=messages.WHY_NO_SECOND_FACTOR
            )
        try:
            await self._factor.challenge(method=method, email=flow.email, alternate_email=account.alternate_email)
        except EmailDeliveryError:
            await turn.set_flow(None)
            return await self._refusals.refuse(
                turn, intent=flow.action, actor=flow.email, reason=flow.reason, why=messages.WHY_EMAIL_FAILED
            )
        address = _masked(account.alternate_email or "")
        expires = self._policy.flow_expiry(self._clock.now())
        await turn.set_flow(replace(flow, step="code", method=method.value, address=address, expires=expires))
        prompt = (
            turn.local(messages.CODE_PROMPT_TOTP)
            if method is Method.TOTP
            else turn.local(messages.CODE_PROMPT_EMAIL).format(address=address)
        )
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=flow.action,
                text=prompt,
                expects="code",
                choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
            )
        )

    async def check(self, turn: FlowTurn, *, flow: ActionFlow, code: str) -> ActionFlow | None:
        """The flow marked verified when `code` is right; otherwise None after answering (or locking) here.

        Every real attempt is audited; a message that is not shaped like a code is not an attempt.
        """
        if flow.method is None:  # ActionFlow refuses a code step without one when it is loaded
            raise ValueError("a one-time code arrived for a flow that asked for no second factor")
        method = Method(flow.method)
        result = await self._factor.check(method=method, email=flow.email, code=code, wrong_so_far=flow.wrong)
        if result is not CodeResult.MALFORMED:
            await self._audit.record(
                AuditEntry(
                    actor=flow.email,
                    account=flow.account,
                    action=f"verify_{method.value}",
                    outcome=result.value,
                    reason=f"second factor for {flow.action}",
                )
            )
        if result is CodeResult.ACCEPTED:
            return replace(flow, verified=True)
        if result is CodeResult.MALFORMED:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=turn.local(messages.CODE_MALFORMED),
                    expects="code",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )
        elif result is CodeResult.WRONG:
            wrong = flow.wrong + 1
            await turn.set_flow(replace(flow, wrong=wrong))
            left = self._policy.code_attempts - wrong
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=turn.local(messages.CODE_WRONG).format(left=left),
                    expects="code",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )
        elif result is CodeResult.EXPIRED:
            await self._resend(turn, flow=flow)
        else:
            await self._lock_out(turn, flow=flow)
        return None

    async def _resend(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        account = await self._refusals.own_account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if account is None:
            await turn.set_flow(None)
            return
        await self.challenge(turn, flow=flow, account=account)

    async def _lock_out(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        await turn.set_flow(None)
        until = await self._guards.lock_out(flow.email, reason=f"wrong codes during {flow.action}")
        await self._audit.record(
            AuditEntry(
                actor=flow.email,
                account=flow.account,
                action="self_service_lockout",
                outcome="locked_out",
                reason=f"{self._policy.code_attempts} wrong codes during {flow.action}",
                details={"until": until.isoformat()},
            )
        )
        log.warning("self_service_locked_out", action=flow.action)
        await turn.hand_off(
            reason=f"self-service locked for {flow.email} until {utc_minute(until)} UTC after "
            f"{self._policy.code_attempts} wrong codes during {flow.action}: someone may be trying to "
            "take over the account; please contact the person by a trusted route",
            intent=flow.action,
            confidence=None,
            template=in_words(turn, messages.CODE_LOCKED, until=utc_minute(until)),
        )


def _masked(address: str) -> str:
    """j•••@example.org: enough for the person to recognise, not enough to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
