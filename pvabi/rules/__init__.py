"""The compatibility rules, one module each, and the registry that runs them.

Adding a rule: write ``pvabi/rules/<rule_id_lowercase>.py`` with one ``Rule``
subclass, add it to ``REGISTRY`` below, and give it firing and non-firing
cases in ``tests/rule_cases/``. ``RULESET_VERSION`` (in ``pvabi/ruleset.py``,
so the config reads it without importing every rule) is bumped whenever a rule
is added or a verdict changes, so a project's config can pin what its gate
enforces.
"""

from __future__ import annotations

from ..ruleset import RULESET_VERSION
from .array_length_changed import ArrayLengthChanged
from .base import Rule
from .bitfield_changed import BitfieldChanged
from .const_changed import ConstChanged
from .enum_value_added import EnumValueAdded
from .enum_value_removed import EnumValueRemoved
from .enum_value_renamed import EnumValueRenamed
from .enum_value_renumbered import EnumValueRenumbered
from .field_added_in_reserved_zero import FieldAddedInReservedZero
from .field_added_in_undeclared_space import FieldAddedInUndeclaredSpace
from .field_added_over_field import FieldAddedOverField
from .field_added_past_end import FieldAddedPastEnd
from .field_contract_changed import FieldContractChanged
from .field_endianness_changed import FieldEndiannessChanged
from .field_offset_changed import FieldOffsetChanged
from .field_removed import FieldRemoved
from .field_renamed import FieldRenamed
from .field_signedness_changed import FieldSignednessChanged
from .field_type_changed import FieldTypeChanged
from .field_width_changed import FieldWidthChanged
from .flag_added import FlagAdded
from .flag_removed import FlagRemoved
from .flag_reused import FlagReused
from .flags_reserved_bits_changed import FlagsReservedBitsChanged
from .layout_added import LayoutAdded
from .layout_outgrows_bound import LayoutOutgrowsBound
from .layout_removed import LayoutRemoved
from .layout_renamed import LayoutRenamed
from .record_alignment_changed import RecordAlignmentChanged
from .record_size_changed import RecordSizeChanged
from .reserved_removed import ReservedRemoved
from .reserved_zero_declared import ReservedZeroDeclared
from .unclassified_change import UnclassifiedChange

REGISTRY: tuple[type[Rule], ...] = (
    LayoutAdded,
    LayoutRemoved,
    LayoutRenamed,
    LayoutOutgrowsBound,
    RecordSizeChanged,
    RecordAlignmentChanged,
    FieldRemoved,
    FieldRenamed,
    FieldContractChanged,
    FieldOffsetChanged,
    FieldWidthChanged,
    FieldSignednessChanged,
    FieldEndiannessChanged,
    FieldTypeChanged,
    BitfieldChanged,
    ArrayLengthChanged,
    FieldAddedInReservedZero,
    FieldAddedInUndeclaredSpace,
    FieldAddedPastEnd,
    FieldAddedOverField,
    ReservedRemoved,
    ReservedZeroDeclared,
    ConstChanged,
    EnumValueAdded,
    EnumValueRemoved,
    EnumValueRenumbered,
    EnumValueRenamed,
    FlagAdded,
    FlagRemoved,
    FlagReused,
    FlagsReservedBitsChanged,
    UnclassifiedChange,
)


def all_rules() -> list[Rule]:
    return [cls() for cls in REGISTRY]


__all__ = ["REGISTRY", "RULESET_VERSION", "Rule", "all_rules"]
