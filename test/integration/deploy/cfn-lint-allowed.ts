/**
 * cfn-lint warnings the stack keeps, each with the reason it is right as it is. cfn-lint.test.ts fails on any
 * warning not listed here (and on every error). A rule id and, where the warning is about one spot, the resource.
 * Empty today: every variant in test/support/template-variants.ts lints with no finding at all. (It has to stay
 * short for another reason too: moto's ValidateTemplate, which the moto deploy test goes through, refuses a
 * template on any cfn-lint finding, warnings included.)
 */
export interface AllowedWarning {
  rule: string;
  /** The logical id the warning is about, or '*' for the rule anywhere. */
  resource: string;
  reason: string;
}

export const ALLOWED_WARNINGS: readonly AllowedWarning[] = [];
