"""The provider directory as FHIR R4, in the Da Vinci PDex Plan-Net shape: out and in.

- export.py: the directory out, as a collection Bundle (openings passed in by the caller);
- read.py: a file in: JSON, a Bundle, valid FHIR R4 by the fhir.resources R4B models;
- map.py: from a Bundle's resources to provider records and problems, pure (no database);
- write.py: the import: mapped records into the directory through its services;
- terms.py: the URLs and codes both directions share;
- search.py, publish.py, views.py, urls.py: the public, read-only FHIR API under /fhir/, built from
  export.py's mapping (search.py reads a query, publish.py answers it, views.py is the front door).
"""

from .export import available_time, bundle_data, directory_bundle_data, directory_export_json, providers_to_bundle
from .map import BundleReading, MappedProvider, available_time_windows, bundle_to_records, bundle_to_values
from .read import Problem, fhir_problems, read_bundle
from .write import FhirImportReport, bundle_import

__all__ = [
    "BundleReading",
    "FhirImportReport",
    "MappedProvider",
    "Problem",
    "available_time",
    "available_time_windows",
    "bundle_data",
    "bundle_import",
    "bundle_to_records",
    "bundle_to_values",
    "directory_bundle_data",
    "directory_export_json",
    "fhir_problems",
    "providers_to_bundle",
    "read_bundle",
]
