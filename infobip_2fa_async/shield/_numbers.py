"""What a phone number is (its region, its type, its prefix), read from Google's libphonenumber metadata through
``phonenumberslite`` (the ``[shield]`` extra): never a hand-written numbering plan.

The region and type are found as ``phonenumbers.region_code_for_number`` and ``phonenumbers.number_type`` find them
(tests hold the two equal on every region's example numbers and on random ones), with one difference: phonenumbers
compiles each pattern through ``re``'s cache of 512 entries on every call, and traffic from many countries (a dozen
patterns each) overflows it, so each number then recompiles its patterns: about 500 µs a number, measured on
examples of 244 regions, against about 10 µs here, where the compiled patterns are kept.

A number arrives as the client has it: digits in international form, country code first, no trunk prefix (``0``)
after it. Anything phonenumbers would not call valid for its region has type None.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

__all__ = ["NumberFacts", "NumberReader"]

# The order phonenumbers tests a number's types in (PhoneNumberUtil.getNumberTypeHelper).
_TYPE_ORDER = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")


# A number description: its possible lengths (empty: any) and its pattern; None when the region has none.
_Description = tuple[frozenset[int], re.Pattern[str]] | None
# general, (type name, description) in test order, fixed line, mobile, same mobile and fixed-line pattern
_Plan = tuple[_Description, tuple[tuple[str, _Description], ...], _Description, _Description, bool]


def _matches(national: str, length: int, description: _Description) -> bool:
    """phonenumbers' _is_number_matching_desc: the possible lengths, then the whole pattern."""
    if description is None:
        return False
    lengths, pattern = description
    if lengths and length not in lengths:
        return False
    return pattern.fullmatch(national) is not None


@attrs.frozen
class NumberFacts:
    """What the metadata says of one number.

    Attributes:
        country_code: The country calling code (44), or None when the digits start with none.
        region: The region code (``"GB"``; ``"001"`` for non-geographic numbers such as +882), or None.
        type: The number type's phonenumbers name (``"MOBILE"``, ``"PREMIUM_RATE"``, ...), or None when the number
            is not valid for its region.
        prefix: The number without its last digits (see ``ShieldRules.prefix_tail``).
    """

    country_code: int | None
    region: str | None
    type: str | None
    prefix: str


class NumberReader:
    """Reads numbers against the metadata, keeping each compiled pattern (see the module's docstring).

    Raises:
        ImportError: phonenumberslite is not installed.
    """

    def __init__(self) -> None:
        try:
            import phonenumbers
            from phonenumbers.phonemetadata import PhoneMetadata
        except ImportError as error:  # pragma: no cover
            raise ImportError("the shield needs phonenumberslite: pip install 'infobip-2fa-async[shield]'") from error
        self._regions_of: dict[int, tuple[str, ...]] = {
            code: tuple(regions) for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        }
        self._metadata = PhoneMetadata
        self._non_geographic = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._plans: dict[int, _Plan] = {}  # by id(metadata): phonenumbers keeps one object per region

    def read(self, digits: str, prefix_tail: int) -> NumberFacts:
        """The facts of ``digits`` (a number in international form, digits only)."""
        country_code = next((int(digits[:size]) for size in (1, 2, 3) if int(digits[:size]) in self._regions_of), None)
        code_length = len(str(country_code)) if country_code is not None else 0
        prefix = digits[: min(len(digits), max(len(digits) - prefix_tail, code_length + 1))]
        if country_code is None:
            return NumberFacts(None, None, None, prefix)
        national = digits[code_length:]
        region = self._region(country_code, national)
        if region is None:
            return NumberFacts(country_code, None, None, prefix)
        if region == self._non_geographic:
            metadata = self._metadata.metadata_for_nongeo_region(country_code, None)
        else:
            metadata = self._metadata.metadata_for_region(region, None)
        kind = None if metadata is None else self._type(national, metadata)
        return NumberFacts(country_code, region, kind, prefix)

    def _region(self, country_code: int, national: str) -> str | None:
        """phonenumbers' region_code_for_number (and _region_code_for_number_from_list), patterns kept."""
        regions = self._regions_of[country_code]
        if len(regions) == 1:
            return regions[0]
        for region in regions:
            metadata = self._metadata.metadata_for_region(region.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if self._compiled(metadata.leading_digits).match(national):
                    return region
            elif self._type(national, metadata) is not None:
                return region
        return None

    def _type(self, national: str, metadata: PhoneMetadata) -> str | None:
        """phonenumbers' _number_type_helper, with None for UNKNOWN."""
        plan = self._plans.get(id(metadata))
        if plan is None:
            plan = self._plans[id(metadata)] = self._plan(metadata)
        general, types, fixed_line, mobile, same_pattern = plan
        length = len(national)
        if not _matches(national, length, general):
            return None
        for name, description in types:
            if _matches(national, length, description):
                return name
        if _matches(national, length, fixed_line):
            return "FIXED_LINE_OR_MOBILE" if same_pattern or _matches(national, length, mobile) else "FIXED_LINE"
        if not same_pattern and _matches(national, length, mobile):
            return "MOBILE"
        return None

    def _plan(self, metadata: PhoneMetadata) -> _Plan:
        """A region's descriptions as (possible lengths, compiled pattern), in the order they are tested."""

        def described(name: str) -> _Description:
            description: PhoneNumberDesc | None = getattr(metadata, name)
            if description is None or not description.national_number_pattern:
                return None
            lengths = frozenset(description.possible_length)
            return lengths, self._compiled(description.national_number_pattern)

        types = tuple((name.upper(), found) for name in _TYPE_ORDER if (found := described(name)) is not None)
        plan = (described("general_desc"), types, described("fixed_line"), described("mobile"))
        return (*plan, metadata.same_mobile_and_fixed_line_pattern)

    def _compiled(self, pattern: str) -> re.Pattern[str]:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            compiled = self._patterns[pattern] = re.compile(pattern)
        return compiled
