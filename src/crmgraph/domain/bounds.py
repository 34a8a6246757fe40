"""The most items each plain (unpaginated) list field of the API returns.

The routers' cost limits price these lists by exactly these numbers
(router-config/list-sizes.json; tests/unit/test_list_bounds.py keeps the two equal), so each must
be a true bound: lists the client writes are refused beyond it (VALIDATION_ERROR), lists of
rows that grow on their own are cut to it when read. Paginated lists are bounded by
Settings.max_page_size instead. Nested lists multiply (a pipeline's stages' rules' conditions
cost 20 x 10 x 10), so the bounds are kept small.
"""

from __future__ import annotations

# Rows: refused beyond the bound on write, and cut to it on read (which holds even when two
# writes race past the check).
PIPELINES = 20  # Query.pipelines, oldest first
PIPELINE_STAGES = 20  # Pipeline.stages
# SalesReport.pipelineBreakdown: the pipelines asked for (refused beyond), else the oldest
REPORT_PIPELINES = PIPELINES

# Rows that grow on their own, cut on read (the rest stay reachable elsewhere).
CHILD_ACCOUNTS = 20  # Account.childAccounts, by name; accounts(filter: {parentAccountId}) pages
# AccountHierarchy.ancestors/descendants: nearest first, then by id (the GraphStore's order).
HIERARCHY_MEMBERS = 100
# Account.relationships, AccountHierarchy.relationships: by relationship id (the GraphStore's).
ACCOUNT_RELATIONSHIPS = 100
STAGE_HISTORY = 100  # Deal.stageHistory: the latest moves
SCORING_HISTORY = 100  # Lead.scoringHistory: the latest changes
TOUCHPOINTS = 100  # Lead.touchpoints, Contact.touchpoints: the latest touches
ATTRIBUTION_GROUPS = 100  # RevenueAttribution.attribution: the largest groups
TOP_PERFORMING = 3  # RevenueAttribution.insights.topPerforming
API_KEYS = 100  # Query.apiKeys, oldest first
TOP_PERFORMERS = 10  # SalesReport.topPerformers: the most revenue

# Dashboards (crmgraph.reporting.dashboards): fixed by their definitions.
DASHBOARD_WIDGETS = 8  # DashboardData.widgets: the built-in sales dashboard's
DASHBOARD_POINTS = 20  # DashboardWidget.series: 12 months, or a pipeline's stages (20 at most)

# Customer health (crmgraph.domain.health): fixed by its rules, or by a checked argument.
HEALTH_COMPONENTS = 4  # CustomerHealth.components: support, financial, delivery, engagement
HEALTH_FACTORS = 4  # HealthComponent.factors: delivery has the most
HEALTH_RISKS = 6  # CustomerHealth.riskFactors: one of each kind at most
HEALTH_OPPORTUNITIES = 2  # CustomerHealth.opportunities: upsell, referral
HEALTH_MONTHS = 24  # CustomerHealth.trend: `months` is refused above it

# Lead scoring (crmgraph.domain.scoring): fixed by its model, or refused beyond on write.
SCORE_COMPONENTS = 3  # LeadScore.breakdown: demographic, behavioral, engagement
SCORE_RULES = 15  # LeadScoringRules.rules, LeadScoreComponent.factors: one per known factor
SCORE_RULE_CHOICES = 10  # LeadScoringRule.bands, LeadScoringRule.matches
KEY_FACTORS = 5  # LeadScore.keyFactors
SCORE_ADJUSTMENTS = 20  # LeadScore.adjustments: factors adjusted by hand at once
# Sales reporting (crmgraph.reporting): fixed by its rules.
FORECAST_BUCKETS = 12  # ForecastData.buckets: the months of a year
FORECAST_CATEGORIES = 4  # ForecastBucket.categories: closed, commit, best case, pipeline
WIN_RISKS = 5  # WinProbability.riskFactors: one of each kind at most
WIN_INDICATORS = 3  # WinProbability.successIndicators: one of each kind at most

# Lists the client writes, refused beyond the bound.
SPECIALIZATIONS = 10  # User.specializations (setUserSpecializations)
PARTICIPANTS = 50  # Communication.participants
ATTENDEES = 50  # Event.attendees
SCORING_FACTORS = 20  # LeadScore.scoringFactors, LeadScoreHistory.scoringFactors
AUTOMATION_RULES = 10  # PipelineStage.automationRules
RULE_CONDITIONS = 10  # AutomationRule.conditions
RULE_ACTIONS = 10  # AutomationRule.actions
WEBHOOKS = 100  # Query.webhookSubscriptions, oldest first; refused beyond it on create
WEBHOOK_DELIVERIES = 100  # GET /api/v1/webhooks/{id}/deliveries: the latest attempts

# Rows of one bulk request, refused beyond the bound (POST /api/v1/bulk/contacts/import).
IMPORT_ROWS = 1000
