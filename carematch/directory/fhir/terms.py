"""The names carematch's FHIR uses: canonical URLs of its own CodeSystems and extensions,
the Da Vinci PDex Plan-Net profiles and code systems, and how carematch's values map to
FHIR codes. Shared by the export and the import."""

from __future__ import annotations

from carematch.lib import nucc

CANONICAL = "https://carematch.dev/fhir"
CONCERN_SYSTEM = f"{CANONICAL}/CodeSystem/concern"
APPROACH_SYSTEM = f"{CANONICAL}/CodeSystem/approach"
POPULATION_SYSTEM = f"{CANONICAL}/CodeSystem/population"
PAYER_SYSTEM = f"{CANONICAL}/sid/payer"
SELF_PAY_RATE = f"{CANONICAL}/StructureDefinition/self-pay-rate"  # valueMoney, USD
MINIMUM_NOTICE = f"{CANONICAL}/StructureDefinition/minimum-notice"  # valueDuration, UCUM h
WORKS_HOLIDAYS = f"{CANONICAL}/StructureDefinition/works-holidays"  # valueBoolean
BIO = f"{CANONICAL}/StructureDefinition/bio"  # valueMarkdown
LICENSE_VERIFICATION = f"{CANONICAL}/StructureDefinition/license-verification"  # status, verifiedAt

PLANNET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
QUALIFICATION = f"{PLANNET}/StructureDefinition/practitioner-qualification"
NEW_PATIENTS = f"{PLANNET}/StructureDefinition/newpatients"
NETWORK_REFERENCE = f"{PLANNET}/StructureDefinition/network-reference"
DELIVERY_METHOD = f"{PLANNET}/StructureDefinition/delivery-method"
ACCEPTING_PATIENTS_SYSTEM = f"{PLANNET}/CodeSystem/AcceptingPatientsCS"
DELIVERY_METHOD_SYSTEM = f"{PLANNET}/CodeSystem/DeliveryMethodCS"
VIRTUAL_MODALITY_SYSTEM = f"{PLANNET}/CodeSystem/VirtualModalitiesCS"
SERVICE_CATEGORY_SYSTEM = f"{PLANNET}/CodeSystem/HealthcareServiceCategoryCS"
ORGANIZATION_TYPE_SYSTEM = f"{PLANNET}/CodeSystem/OrgTypeCS"

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NPI_OID = "urn:oid:2.16.840.1.113883.4.6"
NUCC_SYSTEM = nucc.SYSTEM
USPS_SYSTEM = "https://www.usps.com/"
BCP47_SYSTEM = "urn:ietf:bcp:47"
DEGREE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0360"
UCUM_SYSTEM = "http://unitsofmeasure.org"
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"  # valueCode, an IANA name

GENDER_TO_FHIR = {"female": "female", "male": "male", "nonbinary": "other", "not_stated": "unknown"}
GENDER_FROM_FHIR = {fhir: slug for slug, fhir in GENDER_TO_FHIR.items()}
FORMAT_TO_DELIVERY = {"telehealth": "virtual", "in_person": "physical"}
FORMAT_FROM_DELIVERY = {code: slug for slug, code in FORMAT_TO_DELIVERY.items()}
ACCEPTING = {"newpt": True, "nopt": False, "existptonly": False, "existptfam": False}
# Plan-Net qualification statuses saying a credential may not be used: such a license is
# imported as rejected (it never counts) unless carematch's own verification says otherwise.
UNUSABLE_QUALIFICATION = frozenset({"inactive", "revoked", "issiner"})
# FHIR VerificationResult.status (http://hl7.org/fhir/verificationresult-status): `validated`
# verifies the qualifications it targets; a failed validation rejects them; `attested` (the
# practitioner's own word), `in-process` and `req-revalid` say nothing carematch can rely on.
VALIDATED = "validated"
VALIDATION_FAILED = frozenset({"val-fail", "reval-fail"})
VOCABULARY_SYSTEMS = {CONCERN_SYSTEM: "concerns", APPROACH_SYSTEM: "approaches", POPULATION_SYSTEM: "populations"}

# The publication side (export_fhir and the public /fhir/ API).
LICENSE_TYPE_SYSTEM = f"{CANONICAL}/CodeSystem/license-type"  # a license's type as its board names it: LPC, LCSW
# A license not in force (expired or rejected) cannot be a Plan-Net qualification (its status is fixed
# to `active`): the export file carries it in this extension on the Practitioner so that an export
# imports back whole; the public API leaves it out. Parts: state (valueCode, USPS), type, number
# (valueString), expires (valueDate), status (valueCode, carematch's verification), verifiedAt.
LICENSE_HISTORY = f"{CANONICAL}/StructureDefinition/license-history"
ENDPOINT_CONNECTION_TYPE_SYSTEM = f"{PLANNET}/CodeSystem/EndpointConnectionTypeCS"
ENDPOINT_PAYLOAD_TYPE_SYSTEM = f"{PLANNET}/CodeSystem/EndpointPayloadTypeCS"
INSURANCE_PRODUCT_TYPE_SYSTEM = f"{PLANNET}/CodeSystem/InsuranceProductTypeCS"
ORGANIZATION_ROLE_SYSTEM = "http://hl7.org/fhir/organization-role"
# The organization that runs this carematch: the provider group its providers' roles belong to.
DIRECTORY_ORGANIZATION_ID = "directory"
