# Service-token targets (docs/identity.md). Meant to be included by the top-level Makefile:
#     include docs/identity-make-targets.mk
# It uses $(BUILD) and the `all` target from there. Every command reads the same configuration
# as the server (NOCTURNA_* variables); DATA_DIR follows NOCTURNA_DATA_DIR like the server does.
#
#   make token-create [DAYS=30] [SCOPE=calculations] [DESCRIPTION='backend A']
#   make token-list
#   make token-renew [TOKEN_FILE=data/service-token] [RENEW_WINDOW_DAYS=7]
#   make token-force-renew
#   make docker-token-renew / docker-token-force-renew    (inside the running container)
#
# A cron job can rely on the line "Token renewal complete": it is printed by `nocturna token
# renew` itself, exactly when the token was renewed, and by nothing else.

DATA_DIR          ?= $(or $(NOCTURNA_DATA_DIR),data)
TOKEN_FILE        ?= $(DATA_DIR)/service-token
DAYS              ?= 30
SCOPE             ?= calculations
DESCRIPTION       ?=
RENEW_WINDOW_DAYS ?= 7
DOCKER_COMPOSE    ?= docker compose
DOCKER_SERVICE    ?= nocturna
DOCKER_TOKEN_FILE ?= /data/service-token

.PHONY: token-create token-list token-renew token-force-renew \
        docker-token-renew docker-token-force-renew

token-create: all
	@$(BUILD)/nocturna token create --data-dir '$(DATA_DIR)' --days '$(DAYS)' --scope '$(SCOPE)' \
	  $(if $(DESCRIPTION),--description '$(DESCRIPTION)')

token-list: all
	@$(BUILD)/nocturna token list --data-dir '$(DATA_DIR)'

token-renew: all
	@$(BUILD)/nocturna token renew --data-dir '$(DATA_DIR)' --token-file '$(TOKEN_FILE)' \
	  --days-before-expiry '$(RENEW_WINDOW_DAYS)'

token-force-renew: all
	@$(BUILD)/nocturna token renew --data-dir '$(DATA_DIR)' --token-file '$(TOKEN_FILE)' --force

docker-token-renew:
	@$(DOCKER_COMPOSE) exec -T '$(DOCKER_SERVICE)' nocturna token renew \
	  --token-file '$(DOCKER_TOKEN_FILE)' --days-before-expiry '$(RENEW_WINDOW_DAYS)'

docker-token-force-renew:
	@$(DOCKER_COMPOSE) exec -T '$(DOCKER_SERVICE)' nocturna token renew \
	  --token-file '$(DOCKER_TOKEN_FILE)' --force
