from django.core.wsgi import get_wsgi_application

from config.settings_module import settings_module_use

settings_module_use()  # local in a prepared checkout, else production
application = get_wsgi_application()
