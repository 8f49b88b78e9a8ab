"""LLM clients, the offline judge model and the provider-neutral chat types.

The clients import their SDKs (openai, anthropic) on first use, so importing the chat types
stays cheap for runs that call no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalgauge.models._base import ChatMessage, ChatModel, ChatRequest, ChatResponse, Usage

if TYPE_CHECKING:
    from evalgauge.models._anthropic import AnthropicModel
    from evalgauge.models._openai import OpenAICompatibleModel

__all__ = [
    "AnthropicModel",
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "OpenAICompatibleModel",
    "Usage",
]


def __getattr__(name: str) -> Any:
    if name == "OpenAICompatibleModel":
        from evalgauge.models._openai import OpenAICompatibleModel

        return OpenAICompatibleModel
    if name == "AnthropicModel":
        from evalgauge.models._anthropic import AnthropicModel

        return AnthropicModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
