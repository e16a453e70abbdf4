"""Per-print logistics carbon footprint (ISO 14083:2023 / GLEC Framework v3 method).

Baseline (the OEM's declared counterfactual shipment), actual (printing at the
hub) and avoided = baseline - actual, each figure with its GLEC data-quality
tier, computed only from the sourced, versioned values in ``carbon/data``.
See docs/carbon.md.
"""

from partledger.carbon.document import (
    DOCUMENT_TYPE,
    DOCUMENT_VERSION,
    FootprintVerification,
    Mismatch,
    footprint_document,
    footprint_document_hash,
    footprint_to_dict,
    parse_footprint_document,
    verify_footprint_document,
)
from partledger.carbon.errors import (
    CarbonError,
    InvalidFactorData,
    InvalidFootprintDocument,
    InvalidMass,
    MissingDistance,
    MissingFactor,
    PrintEnergyUnknown,
    UnknownGridCountry,
    UnknownLocode,
)
from partledger.carbon.factors import (
    DistanceRule,
    FactorSet,
    GridFactor,
    Location,
    Mode,
    Tier,
    TransportFactor,
    ddmm_to_decimal,
    default_factor_set,
    load_factor_set,
)
from partledger.carbon.geo import great_circle_km
from partledger.carbon.model import (
    METHOD,
    Actual,
    Baseline,
    ComponentResult,
    Coordinates,
    Footprint,
    FootprintCalculator,
    Leg,
    LegResult,
    Place,
    compute_footprint,
)

__all__ = [
    "DOCUMENT_TYPE",
    "DOCUMENT_VERSION",
    "METHOD",
    "Actual",
    "Baseline",
    "CarbonError",
    "ComponentResult",
    "Coordinates",
    "DistanceRule",
    "FactorSet",
    "Footprint",
    "FootprintCalculator",
    "FootprintVerification",
    "GridFactor",
    "InvalidFactorData",
    "InvalidFootprintDocument",
    "InvalidMass",
    "Leg",
    "LegResult",
    "Location",
    "Mismatch",
    "MissingDistance",
    "MissingFactor",
    "Mode",
    "Place",
    "PrintEnergyUnknown",
    "Tier",
    "TransportFactor",
    "UnknownGridCountry",
    "UnknownLocode",
    "compute_footprint",
    "ddmm_to_decimal",
    "default_factor_set",
    "footprint_document",
    "footprint_document_hash",
    "footprint_to_dict",
    "great_circle_km",
    "load_factor_set",
    "parse_footprint_document",
    "verify_footprint_document",
]
