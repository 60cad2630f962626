import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carematch.settings")
application = get_wsgi_application()

from carematch.checks import require_secret_key, require_static_files  # noqa: E402  (needs the settings loaded above)

require_secret_key()
require_static_files()
