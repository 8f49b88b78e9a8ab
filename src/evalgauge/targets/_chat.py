"""A chat model as the target: a prompt template rendered per case."""

from __future__ import annotations

from evalgauge.cases import Case
from evalgauge.models._base import ChatMessage, ChatModel, ChatRequest
from evalgauge.targets._base import TargetOutput
from evalgauge.targets._templates import case_values, render_text, template_hash

DEFAULT_PROMPT = "{input}"


class ChatTarget:
    """Send each case to a chat model; retries and caching come from the wrapped model."""

    kind = "chat"
    retries = False

    def __init__(
        self,
        model: ChatModel,
        *,
        prompt: str = DEFAULT_PROMPT,
        system: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        self.model = model
        self.prompt = prompt
        self.system = system
        self.temperature = temperature
        self.max_tokens = max_tokens

    @property
    def prompt_hash(self) -> str:
        return template_hash(self.system or "", self.prompt)

    def identity(self) -> dict[str, str]:
        return {
            "target": f"chat:{self.model.identity()}",
            "model": self.model.model,
            "prompt_hash": self.prompt_hash,
        }

    def request_for(self, case: Case) -> ChatRequest:
        values = case_values(case)
        messages = []
        if self.system:
            messages.append(ChatMessage("system", render_text(self.system, values)))
        messages.append(ChatMessage("user", render_text(self.prompt, values)))
        return ChatRequest(
            messages=tuple(messages), temperature=self.temperature, max_tokens=self.max_tokens
        )

    async def generate(self, case: Case) -> TargetOutput:
        response = await self.model.complete(self.request_for(case))
        return TargetOutput(
            text=response.text,
            latency_ms=response.latency_ms,
            usage=response.usage,
            model=response.model,
            cached=response.cached,
            ttft_ms=response.ttft_ms,
        )

    async def check_ready(self) -> None:
        await self.model.check_ready()

    async def aclose(self) -> None:
        await self.model.aclose()
