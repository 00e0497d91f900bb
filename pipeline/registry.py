"""The generic vendor registry: look-ups by id and role, key resolution, availability, building.

Vendors are data (:class:`~pipeline.vendor_api.VendorInfo`); the list the app ships with
lives in :mod:`vendors.registry` and is handed in by the composition roots. Nothing here
imports a vendor SDK: an adapter's module is imported from ``VendorInfo.factory`` only
when a task needs it, so ``import app`` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Mapping, Sequence

from pipeline.errors import (
    ConfigurationError,
    MissingKeyError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorUnavailableError,
)
from pipeline.languages import language_name
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import Availability, VendorInfo

__all__ = ["Registry", "check_language"]


class Registry:
    """The vendors this app knows, looked up by id and by role.

    Args:
        vendors: every vendor, in the order they are listed and tried.
        voice_order: voice vendor ids in the order they are offered and tried when the
            selection rule's choice cannot run (the others follow in registry order).
    """

    def __init__(self, vendors: Iterable[VendorInfo], *, voice_order: Sequence[str] = ()) -> None:
        self._voice_order = tuple(voice_order)
        self._vendors: dict[str, VendorInfo] = {}
        for info in vendors:
            if info.id in self._vendors:
                raise ValueError(f"vendor {info.id!r} registered twice")
            self._vendors[info.id] = info

    def __iter__(self):  # noqa: D105
        return iter(self._vendors.values())

    def get(self, vendor_id: str) -> VendorInfo:
        """Return the vendor with this id.

        Raises:
            UnknownVendorError: listing the ids that exist.
        """
        info = self._vendors.get((vendor_id or "").strip().lower())
        if info is None:
            known = ", ".join(sorted(self._vendors))
            raise UnknownVendorError(f"Unknown vendor {vendor_id!r}. Known vendors: {known}.")
        return info

    def for_role(self, role: Role, language: str | None = None) -> list[VendorInfo]:
        """Vendors that play ``role`` (for ``language`` when given), in registry order."""
        return [v for v in self._vendors.values() if v.supports(role, language)]

    def voice_vendors(self) -> list[VendorInfo]:
        """Voice vendors in the order they are offered and tried."""
        ordered = [self._vendors[i] for i in self._voice_order if i in self._vendors]
        rest = [v for v in self.for_role(Role.SPEAK) if v.id not in self._voice_order]
        return ordered + rest

    def parse_spec(self, spec: str, role: Role) -> tuple[VendorInfo, str]:
        """Read "vendor/model" or "vendor" (default model) for ``role``.

        Model ids may contain slashes ("huggingface/openai/whisper-large-v3"): only the
        first slash separates the vendor.
        """
        vendor_id, _, model = (spec or "").strip().partition("/")
        info = self.get(vendor_id)
        if role not in info.roles:
            raise UnknownVendorError(
                f"{info.display_name} cannot {role.value}; "
                f"pick one of: {', '.join(v.id for v in self.for_role(role))}."
            )
        model = model.strip() or info.default_model(role)
        offered = info.models.get(role, ())
        if offered and model not in offered and not info.extra.get("any_model"):
            raise UnknownVendorError(
                f"{info.display_name} does not offer {model!r} for {role.value}; "
                f"offered: {', '.join(offered)}."
            )
        return info, model

    @staticmethod
    def key_for(
        info: VendorInfo, keys: Mapping[str, str], settings: Settings, *,
        server_keys: bool = True,
    ) -> Secret | None:
        """Resolve a vendor's key: request key, then the server's environment variable.

        With ``server_keys=False`` (a request whose runs must not spend the server's keys,
        see :attr:`~pipeline.options.TaskRequest.server_keys`) only the request's keys
        count; a self-hosted server (``self_hosted_variable``) still serves without one.

        Returns ``None`` for vendors that need no key (or where it is optional and unset).

        Raises:
            MissingKeyError: naming the variable, when a required key is absent.
        """
        variable = info.key_variable
        if variable is None:
            return None
        value = (keys.get(variable) or "").strip()
        if not value and server_keys:
            value = settings.env(variable)
        if value:
            return Secret(value)
        if info.key_optional:
            return None
        if info.self_hosted_variable and settings.env(info.self_hosted_variable):
            return None
        raise MissingKeyError(info.id, variable)

    @staticmethod
    def missing_packages(info: VendorInfo) -> list[str]:
        """Import names the vendor needs that are not installed here."""
        return [name for name in info.requires if importlib.util.find_spec(name) is None]

    def availability(
        self, info: VendorInfo, keys: Mapping[str, str], settings: Settings, *,
        server_keys: bool = True,
    ) -> Availability:
        """Whether ``info`` can run here for a request (see :meth:`key_for`), and if not, why."""
        missing = self.missing_packages(info)
        if missing:
            return Availability(
                False, f"{', '.join(missing)} is not installed ({info.install_hint})"
            )
        for variable in info.required_variables:
            if not settings.env(variable):
                return Availability(False, f"{variable} is not set", variable)
        try:
            self.key_for(info, keys, settings, server_keys=server_keys)
        except MissingKeyError as exc:
            reason = f"{exc.variable} is not set"
            if not server_keys and exc.variable and settings.env(exc.variable):
                reason = (f"{exc.variable} is not given (the server's own key is not lent to "
                          "signed-in visitors)")
            if info.self_hosted_variable:
                reason += f" (or set {info.self_hosted_variable} to a self-hosted server)"
            return Availability(False, reason, exc.variable)
        return Availability(True, "ready")

    def build(
        self,
        info: VendorInfo,
        role: Role,
        model: str,
        keys: Mapping[str, str],
        settings: Settings,
        *,
        server_keys: bool = True,
    ) -> object:
        """Build the adapter for ``role``; imports the vendor's module only now.

        The key comes from :meth:`key_for` (``server_keys`` as there).

        Raises:
            VendorUnavailableError: a package it needs is missing.
            MissingKeyError: no key anywhere.
        """
        missing = self.missing_packages(info)
        if missing:
            raise VendorUnavailableError(
                f"{info.display_name} cannot run here: {', '.join(missing)} is not "
                f"installed. {info.install_hint}"
            )
        for variable in info.required_variables:
            if not settings.env(variable):
                raise ConfigurationError(f"{info.display_name} needs {variable}; set it first.")
        key = self.key_for(info, keys, settings, server_keys=server_keys)
        module_name, _, attr = info.factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        return factory(role, model, key, settings)


def check_language(info: VendorInfo, role: Role, language: str, model: str | None = None) -> None:
    """Raise a clear error when ``info`` (or its ``model``) does not handle ``language``."""
    if not info.supports(role, language, model):
        which = f"{info.display_name} {model}" if model else info.display_name
        able = info.models_for(role, language) if model else ()
        others = f"; models that do: {', '.join(able)}" if able else ""
        raise UnsupportedLanguageError(
            f"{which} does not support {language_name(language)} ({language}) "
            f"for {role.value}{others}."
        )

