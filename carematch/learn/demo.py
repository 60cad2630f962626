"""Ten example articles for the demo, written for carematch (original text), each marked as
example content and reviewed by a fictional clinician. Seeding is idempotent: an article whose
address is already taken is left as it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from . import selectors, services

AUTHOR = "carematch editorial team (demo)"
REVIEWERS = (
    ("Dr. Morgan Example", "PhD, licensed psychologist (fictional)"),
    ("Jordan Sample", "LCSW, licensed clinical social worker (fictional)"),
    ("Avery Placeholder", "LPC, licensed professional counselor (fictional)"),
)


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    title: str
    summary: str
    body: str
    concerns: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    for_first_session: bool = False
    reviewed_days_ago: int = 30
    extra: dict[str, str] = field(default_factory=dict)


ARTICLES = (
    DemoArticle(
        slug="first-session",
        title="What to expect in your first session",
        summary="The first meeting is mostly talking and getting to know each other. Here is what usually "
                "happens, and what you can ask.",
        for_first_session=True, concerns=("anxiety", "stress", "life_transitions"), reviewed_days_ago=20,
        body="""A first session is less a test than a conversation. Your therapist wants to understand what
brought you here, and you get to find out whether this person feels like someone you can work with.

## Before you arrive

- Check the time and the format: in person, or online from a quiet, private spot.
- Jot down two or three things you would like to talk about. A few words on your phone are enough.
- If you take medication, have the names handy. You do not need anything else.

## What usually happens

Most first sessions follow a loose shape:

1. **Practical things.** Confidentiality and its limits, how cancellations work, how to reach your therapist
   between sessions.
2. **Your story, as much as you want to share.** What is hard right now, when it started, what you have
   already tried. You choose how deep to go.
3. **A little about the rest of your life.** Sleep, work or school, the people around you, what you enjoy.
4. **What next.** Some ideas about goals, and how often you might meet.

## Questions you can ask

- How do you usually work with people who have concerns like mine?
- What would progress look like, and how will we notice it?
- What happens if I want to try a different therapist?

Asking questions is not rude; it is part of finding the right fit.

## If it did not feel right

The first session can feel awkward even with a good match. If it still does not feel right after two or three
sessions, it is fine to say so, or to book someone else. Therapists expect this, and carematch lets you see
your other matches at any time.
""",
    ),
    DemoArticle(
        slug="crying-in-therapy",
        title="It is normal to cry in therapy",
        summary="Tears in a session are common and welcome. Why they happen, and why you do not need to "
                "apologise for them.",
        for_first_session=True, concerns=("depression", "grief", "trauma"), reviewed_days_ago=45,
        body="""Many people worry that they will cry in therapy, and many people do. Therapists see it every
week. There is a box of tissues in most offices for a reason.

## Why tears come

Therapy gives you something everyday life rarely does: an hour in which nobody needs you to be fine. When you
slow down and put words to something painful, the feeling often arrives with the words. Crying is one way the
body says *this matters*.

Tears can also come with relief, or when someone finally understands. They are not always sad.

## You do not need to apologise

You might notice an urge to say sorry, or to stop yourself. You can let it happen. Your therapist will not be
upset or in a hurry; they may simply wait, or ask what the tears are about when you are ready.

## If you cannot cry, that is normal too

Some people feel numb, or laugh when they talk about hard things. That is not doing therapy wrong. Feelings
show up in different ways and at different times.

## Looking after yourself afterwards

- Leave a few minutes before your next commitment if you can.
- Drink some water, take a short walk, or sit quietly.
- If you feel shaken for more than a day, mention it next time, or message your therapist.

If at any point you feel unsafe, call or text 988, or call 911.
""",
    ),
    DemoArticle(
        slug="emotions-in-therapy",
        title="Strong feelings in therapy, and what to do with them",
        summary="Anger, embarrassment or boredom in a session are all useful information. How to bring them "
                "into the room.",
        concerns=("anger", "self_esteem", "relationships"), reviewed_days_ago=60,
        body="""Therapy is not only about calm reflection. Sometimes you will leave a session angry, flat,
embarrassed or confused. These feelings are part of the work, not a sign that it is failing.

## Feelings about the work itself

It is common to feel frustrated with your therapist, or with how slowly things seem to change. Saying so, even
awkwardly, often leads to some of the most useful conversations. A good therapist will welcome it.

Try starting with: *"Something about last week is still bothering me."*

## Feelings you did not expect

A memory can surface, or a reaction to something small can feel much bigger than it should. Notice it, and if
you can, name it: *"I just felt a wave of shame."* Naming a feeling tends to make it easier to hold.

## When it gets too much in the moment

- Put both feet on the floor and notice the chair under you.
- Breathe out slowly, longer than you breathe in.
- Tell your therapist you need a pause. You are allowed to stop.

## Between sessions

Write down what came up, in a sentence or two, to bring next time. If feelings become overwhelming or you
think about harming yourself, call or text 988 straight away.
""",
    ),
    DemoArticle(
        slug="exercise-and-mood",
        title="Moving your body to lift your mood",
        summary="Exercise is one of the healthiest ways to cope with stress and low mood. Small, regular "
                "movement counts more than intensity.",
        concerns=("depression", "anxiety", "stress", "sleep"), activities=("exercise",), reviewed_days_ago=90,
        body="""Physical activity helps the body use up stress hormones, tends to improve sleep, and gives a
small sense of achievement. You do not need a gym or a plan to benefit.

## Start smaller than you think

When mood is low, motivation usually follows action rather than coming first. Pick something you can do even
on a bad day:

- a ten-minute walk around the block;
- stretching while the kettle boils;
- dancing to two songs in the kitchen;
- taking the stairs for one floor.

## Make it regular rather than hard

Three short walks a week that actually happen beat an ambitious plan you dread. Put them in your calendar like
an appointment, or pair them with something you already do.

## Notice the effect

After moving, take ten seconds to notice how you feel compared with before. Recording it as a check-in on your
plan helps you and your therapist see the pattern over weeks.

## Be kind to your body

If you have a health condition, check with your doctor before starting something new. Rest days are part of
the plan, not a failure of it.
""",
    ),
    DemoArticle(
        slug="meditation-basics",
        title="Meditation for beginners: five minutes is enough",
        summary="Meditation is practice in noticing, not in emptying your mind. A short routine you can start "
                "today.",
        concerns=("anxiety", "stress", "sleep"), activities=("meditation",), reviewed_days_ago=120,
        body="""Meditation has a reputation for requiring a quiet mind. In practice, it is the opposite: it is
the practice of noticing a busy mind and coming back, again and again, without scolding yourself.

## A five-minute practice

1. Sit somewhere you can be upright but comfortable. Set a timer for five minutes.
2. Close your eyes or rest your gaze on the floor.
3. Pay attention to the feeling of breathing: the air at your nose, or your belly rising.
4. When you notice you are thinking about something else (you will), say silently *thinking*, and return to
   the breath.
5. When the timer ends, take a moment before getting up.

That is the whole practice. Each time you come back counts as a repetition, like lifting a weight.

## Common worries

- **"I can't stop thinking."** Nobody can. Noticing is the skill.
- **"It makes me more anxious."** Try eyes open, a shorter time, or a walking meditation. If it keeps
  happening, mention it to your therapist.
- **"I don't have time."** Two minutes before getting out of bed is a real practice.

## Making it a habit

Same time, same place helps. Log each practice on your plan so you can see the streak build.
""",
    ),
    DemoArticle(
        slug="deep-breathing",
        title="Deep breathing: calming your body in a few minutes",
        summary="Slow breathing with a long out-breath tells your nervous system it is safe. Two simple "
                "patterns to try.",
        concerns=("anxiety", "stress", "trauma", "anger"), activities=("deep_breathing",), reviewed_days_ago=75,
        body="""When you are anxious, breathing tends to become fast and shallow, which can make the body feel
even more alarmed. Slowing the breath, especially the out-breath, is one of the quickest ways to turn that
down.

## Box breathing

Good for steadying yourself before something stressful.

1. Breathe in through your nose for a count of 4.
2. Hold gently for 4.
3. Breathe out through your mouth for 4.
4. Hold for 4.

Repeat four or five times.

## Longer out-breath

Good for winding down, or at night.

Breathe in for 4, and out for 6 to 8, as if through a straw. No need to hold.

## Tips

- Breathe into your belly: put a hand on it and feel it rise.
- If counting feels stressful, simply make each out-breath a little longer than the in-breath.
- If you feel light-headed, return to normal breathing for a while.

Practising when you are calm makes it easier to use when you are not. Each practice can be logged as a
check-in on your plan.
""",
    ),
    DemoArticle(
        slug="creative-expression",
        title="Creative expression as a way to cope",
        summary="Drawing, writing, music or cooking can help you process feelings that are hard to say out "
                "loud. No talent required.",
        concerns=("depression", "grief", "trauma", "self_esteem"), activities=("creative_expression",),
        reviewed_days_ago=150,
        body="""Making something gives feelings somewhere to go. It also absorbs attention in a way that can
give a worried mind a rest. The point is the process, not a good result.

## Ideas to try

- **Writing**: ten minutes of writing without stopping, starting with *"Right now I feel…"*. You can throw it
  away afterwards.
- **Drawing or colouring**: shapes and colours for how the day felt.
- **Music**: playing, singing, or building a playlist that matches your mood and then one that shifts it.
- **Making with your hands**: cooking, knitting, building, gardening.

## Letting go of "good"

If your inner critic shows up, notice it and carry on anyway. Nobody has to see what you made. Some people
find it helps to make something deliberately messy first.

## Bringing it to therapy

You are welcome to share what you made, or what came up while making it. Sometimes a drawing says what words
could not.

Log each session as a check-in on your plan to see how it affects your mood over time.
""",
    ),
    DemoArticle(
        slug="friends-and-family",
        title="Leaning on friends and family",
        summary="Staying connected is protective for mental health. How to reach out when you do not feel "
                "like it, and what to ask for.",
        concerns=("depression", "relationships", "family", "grief"), activities=("reaching_out",),
        reviewed_days_ago=200,
        body="""When things are hard, many of us pull away from the people who care about us, often because we
do not want to be a burden. Yet contact with others is one of the most reliable protections for mental health.

## Small contact counts

You do not have to share everything. A text, a short call, or sitting with someone while you both do something
else all help.

- Send a message to one person: *"Thinking of you. Fancy a walk this week?"*
- Say yes to one invitation, with permission to leave early.
- Eat one meal a week with someone.

## Asking for what you need

People often want to help but do not know how. Being specific makes it easier:

- *"I don't need advice, I just need to vent for ten minutes."*
- *"Could you check in with me on Friday?"*
- *"Can you come with me to the appointment?"*

## When family is the difficult part

Not everyone has supportive family. Friends, neighbours, colleagues, support groups and faith or community
groups can all be your people. Your therapist can help you think about who is safe to lean on.

Record each time you reach out as a check-in on your plan.
""",
    ),
    DemoArticle(
        slug="sleep-and-worry",
        title="When worry keeps you awake",
        summary="Practical steps for nights when your mind will not switch off, and habits that make sleep "
                "easier over time.",
        concerns=("sleep", "anxiety", "stress"), reviewed_days_ago=100,
        body="""Sleep and mood affect each other: worry makes sleep harder, and poor sleep makes worry louder.
A few habits can loosen that loop.

## Earlier in the evening

- Set aside fifteen minutes of *worry time* a few hours before bed. Write your worries down, and one next step
  for each.
- Dim screens and lights in the last hour.
- Keep caffeine to the morning.

## In bed

- If you have been awake for around twenty minutes, get up, do something quiet and dull in low light, and
  return when sleepy.
- Try the longer out-breath: in for 4, out for 6 to 8.
- If a worry pops up, tell yourself *"That belongs to tomorrow's worry time."*

## Over the weeks

Getting up at the same time every day, even after a bad night, is one of the most effective ways to steady sleep.

If sleep problems last more than a few weeks, or you are relying on alcohol to sleep, talk with your therapist
or doctor.
""",
    ),
    DemoArticle(
        slug="between-sessions",
        title="Making the most of the time between sessions",
        summary="Most change happens between appointments. Simple ways to carry the work of therapy into your "
                "week.",
        for_first_session=True, concerns=("anxiety", "depression", "stress"), reviewed_days_ago=400,
        body="""An hour a week is a small part of your life. What you try, notice and practise between
sessions is where much of the change happens.

## After each session

Write down, in a sentence or two:

- one thing you want to remember;
- one thing you will try before next time.

## During the week

- Practise the coping activities in your plan, even briefly, and log them. The pattern helps you and your
  therapist see what works.
- Notice moments when things went a little better, and what was different.
- Keep a short list of things to bring up next time.

## Before the next session

Look back at your notes for a minute. Arriving with one thing you want to talk about helps you use the time well.

## When something urgent comes up

Your therapist can tell you how to reach them between sessions and what they can respond to. Secure messages
are for practical things, not emergencies: if you are in danger, call or text 988, or call 911.
""",
    ),
)


def seed_demo_articles(*, today: dt.date | None = None) -> str:
    """Write and publish the example articles that are not there yet; what happened, in a line."""
    today = today or timezone.localdate()
    made = 0
    for index, item in enumerate(ARTICLES):
        if selectors.article_by_slug(slug=item.slug) is not None:
            continue
        reviewer, credentials = REVIEWERS[index % len(REVIEWERS)]
        article = services.article_create(
            by=None, slug=item.slug, title=item.title, summary=item.summary, body=item.body, author=AUTHOR,
            reviewer_name=reviewer, reviewer_credentials=credentials,
            reviewed_on=today - dt.timedelta(days=item.reviewed_days_ago), concerns=list(item.concerns),
            activities=list(item.activities), for_first_session=item.for_first_session, is_example=True,
        )
        services.article_publish(article=article, by=None)
        made += 1
    return f"Example articles: {made} written, {len(ARTICLES) - made} already there."
