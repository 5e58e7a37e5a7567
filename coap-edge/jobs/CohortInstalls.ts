/**
 * Which DOWNLOADED jobs the edge may install now, and by when (core/jobs/cohortInstall.ts): the
 * workflow asks for a cohort's install once, on the campaign item, not on each job. The campaign
 * is read once per poll (and between polls at most once per poll interval) per campaign (a GetItem per active campaign per poll,
 * not one per job), consistently: a pause or a cancel stops every install not yet started from
 * the next read on. The device's registration is read only when the campaign has an install
 * window (its time zone decides).
 */
import type { Campaign } from '../../core/campaign/Campaign.ts';
import { cohortInstallOf, installDeadline } from '../../core/jobs/cohortInstall.ts';
import type { FirmwareJob } from '../../core/jobs/FirmwareJob.ts';
import type { CampaignStore } from '../../core/ports/CampaignStore.ts';
import type { RegistrationStore } from '../../core/ports/RegistrationStore.ts';

interface CampaignRead {
  readonly at: number;
  readonly campaign: Promise<Campaign | undefined>;
}

export class CohortInstalls {
  private readonly reads = new Map<string, CampaignRead>();

  constructor(
    private readonly campaigns: Pick<CampaignStore, 'get'>,
    private readonly registrations: Pick<RegistrationStore, 'getWithoutTags'>,
    private readonly now: () => number,
    /** How long a campaign read stands: the executor's poll interval. */
    private readonly maxAgeMs: number,
  ) {}

  /**
   * The install deadline of a DOWNLOADED job when its cohort's install is requested, its campaign
   * RUNNING and its device's install window open; else undefined (it waits, and is not late).
   */
  async deadlineOf(job: FirmwareJob): Promise<number | undefined> {
    const campaign = await this.campaignOf(job.campaignId);
    const install = campaign === undefined ? undefined : cohortInstallOf(campaign, job.cohort);
    if (install === undefined) return undefined;
    const timeZone = install.window === undefined ? undefined : (await this.registrations.getWithoutTags(job.endpoint))?.timeZone;
    return installDeadline(job, install, this.now(), timeZone);
  }

  /** A new poll: every campaign is read again when next asked about. */
  nextPoll(): void {
    this.reads.clear();
  }

  private campaignOf(campaignId: string): Promise<Campaign | undefined> {
    const now = this.now();
    const known = this.reads.get(campaignId);
    if (known !== undefined && now - known.at < this.maxAgeMs) return known.campaign;
    // Old reads go: the map holds the campaigns of the last few polls.
    for (const [id, read] of this.reads) if (now - read.at >= this.maxAgeMs) this.reads.delete(id);
    const campaign = this.campaigns.get(campaignId);
    this.reads.set(campaignId, { at: now, campaign });
    return campaign;
  }
}
