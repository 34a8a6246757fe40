# The Python image: every subgraph, the REST shim and the CLI (`crmgraph ...`).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY subgraphs ./subgraphs
COPY router-config/rate-limit.lua ./router-config/rate-limit.lua
COPY router-config/list-sizes.json ./router-config/list-sizes.json
RUN pip install . && useradd --system --home /app crmgraph
USER crmgraph
# Listen on all interfaces inside the container; compose publishes only the router and REST.
ENV HOST=0.0.0.0
ENTRYPOINT ["crmgraph"]
CMD ["serve", "--all"]
