"""Building the answer: an Event and its winning rule -> a Diagnosis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._match import Candidate
from ._models import Diagnosis, Event, Location, RetryAdvice, Rule
from ._normalize import Verdict
from ._redact import redact
from ._render import Remediation
from ._vocabulary import Outcome

DEFAULT_REMEDIATION = (
    "{{ rule.summary or rule.title }}"
    "{% if delay is not none %} Retry"
    " {% if delay %}in {{ delay | seconds }}{% else %}now{% endif %}"
    "{% if rule.strategy == 'resign_token' %} with a freshly signed token{% endif %}."
    "{% elif rule.retryable is false %} Do not retry unchanged: {{ rule.first_fix }}"
    "{% else %} {{ rule.first_fix }}{% endif %}"
)

UNMATCHED_REMEDIATION = (
    "No rule explains this record. If it is a Kling error, teach kling-errors: "
    "`kling-errors rules new --from RECORD` scaffolds a rule from it (README: Writing rules)."
)


class DiagnosisBuilder:
    """Turns matches into Diagnoses; holds one remediation template per rule.

    ``saved`` is what renders_to_save() gave an earlier run with the same rules (see
    Engine, kept in the store): templates whose texts were all rendered before need no Jinja.
    """

    def __init__(self, saved: Mapping[str, Any] | None = None) -> None:
        self._templates: dict[str, Remediation] = {}
        self._advice: dict[tuple[str, float | None], RetryAdvice] = {}
        self._saved = saved or {}

    def _template(self, rule: Rule) -> Remediation:
        template = self._templates.get(rule.id)
        if template is None:
            constants = {
                "rule": {
                    "id": rule.id,
                    "title": rule.title,
                    "summary": rule.summary,
                    "category": rule.category,
                    "retryable": rule.retryable,
                    "strategy": rule.retry.strategy,
                    "first_fix": rule.fixes[0].step,
                }
            }
            source = rule.remediation or DEFAULT_REMEDIATION
            known = _known(self._saved.get(rule.id), source)
            template = self._templates[rule.id] = Remediation(source, constants, known)
        return template

    def renders_to_save(self) -> dict[str, Any] | None:
        """Each template's reads and rendered texts, when this run rendered new ones.

        Only texts that hold no logged text are kept: those keyed by numbers alone (the
        suggested delay, a status), never by a message or a header.
        """
        if not any(t.new_renders for t in self._templates.values()):
            return None
        saved = dict(self._saved)
        for rule_id, template in self._templates.items():
            placed, keyed, renders = template.saved()
            saved[rule_id] = {
                "source": template.source,
                "placed": list(placed),
                "keyed": list(keyed),
                "renders": [r for r in renders if all(map(_not_text, r[0][1:]))],
            }
        return saved

    def prints_ids_as_they_are(self, rule: Rule) -> bool:
        """True when the rule's remediation shows request_id/task_id unchanged, if at all."""
        template = self._template(rule)
        return not (template.transforms("request_id") or template.transforms("task_id"))

    def matched(
        self, index: int, location: Location | None, event: Event, candidate: Candidate
    ) -> Diagnosis:
        rule = candidate.rule
        advice = self._advice.get((rule.id, event.retry_after))
        if advice is None:
            if len(self._advice) >= 4096:
                self._advice.clear()
            advice = self._advice[rule.id, event.retry_after] = retry_advice(rule, event)
        template = self._template(rule)
        fields = {name: _field(event, name, advice) for name in template.reads}
        return Diagnosis(
            index=index,
            outcome=Outcome.MATCHED,
            rule=rule.id,
            category=rule.category,
            retryable=rule.retryable,
            severity=rule.severity,
            service_code=event.service_code,
            http_status=event.http_status,
            title=rule.title,
            message=event.message,
            causes=rule.causes,
            fixes=rule.fixes,
            remediation=template.render(fields),
            retry=advice,
            request_id=event.request_id,
            task_id=event.task_id,
            gateway=event.gateway,
            gateway_code=event.gateway_code,
            source=rule.source.kind,
            location=location,
            event=event,
        )


def _not_text(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float)


def _known(entry: Any, source: str) -> Any:
    """A saved template entry as Remediation takes it; None when absent, stale or odd."""
    if not isinstance(entry, dict) or entry.get("source") != source:
        return None
    try:
        renders = {
            _tuples(key): (list(pieces), tuple(gaps)) for key, pieces, gaps in entry["renders"]
        }
        return tuple(entry["placed"]), tuple(entry["keyed"]), renders
    except (KeyError, TypeError, ValueError):
        return None


def _tuples(value: Any) -> Any:
    """JSON lists back into the tuples a render key is made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _field(event: Event, name: str, advice: RetryAdvice) -> Any:
    """The value of one template field (see TEMPLATE_FIELDS) for this record."""
    if name == "delay":
        return advice.delay_seconds
    if name == "headers":
        return dict(event.headers)
    return getattr(event, name)


def retry_advice(rule: Rule, event: Event) -> RetryAdvice:
    policy = rule.retry
    delay = None if rule.retryable is False else policy.delay(1, event.retry_after)
    return RetryAdvice(
        retryable=rule.retryable,
        strategy=policy.strategy,
        delay_seconds=delay,
        max_attempts=policy.max_attempts,
        max_delay=policy.max_delay,
        honour_retry_after=policy.honour_retry_after,
        initial_delay=policy.initial_delay,
        multiplier=policy.multiplier,
    )


def unmatched(index: int, location: Location | None, event: Event) -> Diagnosis:
    return Diagnosis(
        index=index,
        outcome=Outcome.UNMATCHED,
        service_code=event.service_code,
        http_status=event.http_status,
        message=event.message,
        remediation=UNMATCHED_REMEDIATION,
        request_id=event.request_id,
        task_id=event.task_id,
        gateway=event.gateway,
        gateway_code=event.gateway_code,
        location=location,
        event=event,
    )


def from_verdict(index: int, location: Location | None, verdict: Verdict) -> Diagnosis:
    event = verdict.event
    return Diagnosis(
        index=index,
        outcome=verdict.outcome,
        reason=redact(verdict.reason),  # may quote logged text (a status, a level)
        service_code=event.service_code if event else None,
        http_status=event.http_status if event else None,
        message=event.message if event else None,
        request_id=event.request_id if event else None,
        task_id=event.task_id if event else None,
        gateway=event.gateway if event else None,
        gateway_code=event.gateway_code if event else None,
        location=location,
        event=event,
    )


def unreadable(index: int, location: Location | None, reason: str) -> Diagnosis:
    return Diagnosis(
        index=index, outcome=Outcome.UNREADABLE, reason=redact(reason), location=location
    )
