from django.urls import path

from . import views

app_name = "coverage"

urlpatterns = [
    path("account/coverage/", views.my_coverage, name="mine"),
    path("staff/clients/<record_id:client_id>/eligibility/", views.client_eligibility, name="staff_client"),
    path("account/superbills/", views.my_superbills, name="superbills"),
    path("account/superbills/pdf/", views.superbill_download, name="superbill_pdf"),
    path("provider/clients/<record_id:client_id>/diagnoses/", views.diagnoses, name="diagnoses"),
    path("provider/clients/<record_id:client_id>/diagnoses/<record_id:diagnosis_id>/remove/", views.diagnosis_remove,
         name="diagnosis_remove"),
    path("provider/tax-id/", views.my_tax_id, name="my_tax_id"),
    path("staff/coverage/", views.plans, name="plans"),
    path("staff/coverage/benefits/import/", views.benefits_import, name="benefits_import"),
    path("staff/coverage/fees/import/", views.fees_import, name="fees_import"),
]
