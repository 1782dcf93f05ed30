// Deterministic, realistic multi-turn chat interactions for the classification benchmark: ten
// subject areas, one to six user turns, replies of varied length, and now and then a pasted
// log, code or document that makes the interaction long enough to be truncated. The same seed
// always gives the same interactions, so two runs (and the two modes of one run) see identical input.

/** mulberry32: a small seeded PRNG, so the interactions do not depend on Math.random. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const subjects = [
  {
    system: 'You are a senior software engineer helping developers debug and write code.',
    openers: [
      'My Node.js API returns 500 when two requests update the same order at once. How do I find the race condition?',
      'How do I migrate a React class component with componentDidUpdate to hooks without breaking the tests?',
      'Write a Python function that deduplicates a list of customer records by email, keeping the newest one.',
      'Our Postgres query on the orders table takes 4 seconds. Here is the EXPLAIN output, what index should I add?',
    ],
    followUps: [
      'That worked, but now the linter complains about the dependency array. Why?',
      'Can you add type hints and a unit test for the edge case with an empty list?',
      'What if the table has 200 million rows, would a partial index be better?',
      'Please explain the difference between optimistic and pessimistic locking here.',
    ],
    replies: [
      'The root cause is that both handlers read the row before either writes it back.',
      'Wrap the read and the update in one transaction and use SELECT ... FOR UPDATE.',
      'Here is a version with a composite index on (customer_id, created_at DESC).',
      'The effect runs after every render because the callback is recreated each time; memoise it with useCallback.',
      'I added a test that feeds an empty list and asserts that the result is empty as well.',
      'A partial index only helps when queries always filter on the same predicate, such as status = open.',
    ],
    paste: 'log',
  },
  {
    system: 'You are a supportive wellness coach. You never diagnose; you suggest seeing a doctor when needed.',
    openers: [
      'I have trouble falling asleep since I started a new job with late meetings. What can I change?',
      'What is a realistic running plan to go from zero to 5k in eight weeks at age 45?',
      'I get headaches every afternoon at work. Could it be my screen or how much water I drink?',
    ],
    followUps: [
      'I already avoid coffee after 2pm. Anything else?',
      'My knees hurt a bit after the second week, should I slow down?',
      'Thanks, that is really helpful, I will try it this week.',
    ],
    replies: [
      'A consistent wind-down routine of 30 minutes without screens often helps more than any supplement.',
      'Alternate one minute of running with two of walking and add a minute of running each week.',
      'Mild knee soreness is common, but sharp pain is a reason to rest and talk to a physiotherapist.',
      'Dehydration and long stretches without breaks are both common triggers for afternoon headaches.',
      'Try the 20-20-20 rule: every 20 minutes, look at something 20 feet away for 20 seconds.',
    ],
  },
  {
    system: 'You are a travel planner who writes practical itineraries.',
    openers: [
      'Plan five days in Portugal in May for a couple who like food, old towns and short hikes.',
      'What is the cheapest way to get from Vienna to Budapest and back on a weekend?',
      'We are a family of four visiting Tokyo in August. Which neighbourhood should we stay in?',
    ],
    followUps: [
      'Can you swap the Porto day for something closer to Lisbon?',
      'Is it worth getting a rail pass for that route?',
      'The kids are 6 and 9, is the heat going to be a problem?',
    ],
    replies: [
      'Day one: Lisbon old town and a tram ride; day two: Sintra; day three: the coast at Cascais.',
      'The direct train takes about two hours forty and costs from 19 euros when booked early.',
      'Shinjuku is convenient but busy; Asakusa is calmer and close to the river cruises.',
      'Plan outdoor sights for the morning and museums or aquariums for the hottest hours.',
    ],
  },
  {
    system: 'You help freelancers and small businesses with money questions.',
    openers: [
      'How much should I set aside for taxes as a freelance designer earning around 70k a year?',
      'Should I pay off my car loan at 6% or put the money into an index fund?',
      'Explain the difference between a Roth IRA and a traditional IRA for someone in their twenties.',
    ],
    followUps: [
      'What if my income varies a lot from month to month?',
      'What happens if the market drops 20% right after I invest?',
      'Can I have both at the same time?',
    ],
    replies: [
      'A common rule of thumb is to move 25 to 30 percent of every invoice to a separate tax account.',
      'Paying off a 6 percent loan is a guaranteed 6 percent return, which is hard to beat after tax.',
      'Contributions to a Roth are taxed now and grow tax free; a traditional IRA defers the tax.',
      'With irregular income, base the monthly budget on your lowest-earning month of the last year.',
    ],
  },
  {
    system: 'You are a writing assistant for emails, speeches and stories.',
    openers: [
      'Write a polite email to my landlord asking to fix the heating that has been broken for a week.',
      "Draft a two minute speech for my grandfather's 80th birthday; he was a ship engineer and loves chess.",
      'Help me write the opening paragraph of a mystery story set in a lighthouse during a storm.',
    ],
    followUps: [
      'Make it a bit firmer, this is the third time I ask.',
      'Shorter please, and add a joke about chess.',
      'I like it, can you continue with the second paragraph?',
    ],
    replies: [
      'Dear Mr. Novak, I am writing about the heating in flat 4B, which has not worked since Monday.',
      'Eighty years, and he still checkmates me in under twenty moves; to the engineer of our family!',
      'The lamp had turned for ninety years without a pause, until the night it stopped.',
      'Here is a firmer version that sets a clear deadline and mentions the tenancy agreement.',
    ],
    paste: 'document',
  },
  {
    system: 'You are a patient tutor for high school and university students.',
    openers: [
      'Explain how photosynthesis turns light into chemical energy, I have a biology exam on Friday.',
      'Why does the derivative of sin(x) equal cos(x)? My teacher just told us to memorise it.',
      'What caused the fall of the Western Roman Empire? I need three main causes for an essay.',
    ],
    followUps: [
      'I still do not get where the oxygen comes from.',
      'Can you show it with the limit definition?',
      'Which of those causes do historians argue about most?',
    ],
    replies: [
      'The light reactions split water, which releases oxygen and stores energy in ATP and NADPH.',
      'Using the limit definition and the identity for sin(a+b), the difference quotient tends to cos(x).',
      'Economic decline, pressure on the frontiers and political instability are the usual three.',
      'Think of the Calvin cycle as the factory that uses ATP to build sugar from carbon dioxide.',
    ],
  },
  {
    system: 'You are a home cooking assistant.',
    openers: [
      'I have chicken thighs, lemons, garlic and rice. What can I cook for four people in 40 minutes?',
      'How do I make sourdough starter from scratch, and how long until I can bake with it?',
      'Suggest a vegetarian menu for a dinner party of eight with one guest who is gluten free.',
    ],
    followUps: [
      'I do not have an oven, only a stove top.',
      'My starter smells like nail polish, is it ruined?',
      'Can the dessert be made the day before?',
    ],
    replies: [
      'Sear the thighs skin side down, then simmer them with lemon, garlic and the rice in one pan.',
      'A starter usually needs five to ten days of daily feeding before it doubles reliably.',
      'An acetone smell means it is hungry, not ruined; feed it twice a day for a few days.',
      'A flourless chocolate cake keeps well overnight and is naturally gluten free.',
    ],
  },
  {
    system: 'You are a career coach.',
    openers: [
      'I have an interview for a product manager role next week. What questions should I prepare for?',
      'How do I ask my manager for a raise after two years without a salary review?',
      'Review my CV summary: "Data analyst with 5 years of experience in retail and SQL."',
    ],
    followUps: [
      'What is a good answer to "tell me about a product you love"?',
      'What if she says there is no budget this year?',
      'Make it sound more senior.',
    ],
    replies: [
      'Expect questions on prioritisation, a product you admire, metrics, and a conflict with engineering.',
      'Bring three concrete results with numbers and a market salary range from two sources.',
      'If there is no budget, ask for a written plan with a date and the goals that would justify it.',
      'Lead with impact: analyst who cut stock-outs by 18 percent using SQL and demand forecasting.',
    ],
  },
  {
    system: 'You are a customer support assistant for an online electronics shop.',
    openers: [
      'My order 55812 was marked delivered but I never got it. What can I do?',
      'The wireless headphones I bought disconnect every few minutes from my laptop.',
      'Can I return a laptop after 20 days if I opened the box?',
    ],
    followUps: [
      'I already checked with the neighbours.',
      'I tried resetting them, still the same.',
      'This is really frustrating, I have asked three times already and nobody answers.',
    ],
    replies: [
      'I have opened a claim with the carrier; you will get an answer within two working days.',
      'Please remove the headphones from the Bluetooth list, restart the laptop and pair them again.',
      'Opened items can be returned within 30 days as long as all accessories are included.',
      'I am sorry for the delay; I have escalated your case to a supervisor.',
    ],
  },
  {
    system: 'You are a legal information assistant; you give general information, not legal advice.',
    openers: [
      'My landlord kept my whole deposit for "cleaning". Is that allowed in California?',
      'What should a simple freelance contract include to make sure I get paid on time?',
      'Can my employer make me work unpaid overtime if I am on a salary?',
    ],
    followUps: [
      'He did not give me an itemised list.',
      'What late fee is reasonable?',
      'What if it is written in my contract?',
    ],
    replies: [
      'In California a landlord must send an itemised statement within 21 days of move-out.',
      'Include scope, deliverables, payment terms, a late fee and who owns the work.',
      'Whether overtime is owed depends on whether the role is exempt, not only on being salaried.',
      'A contract term cannot waive rights the law gives you; a local labour office can confirm.',
    ],
    paste: 'document',
  },
];

const names = ['Alex', 'Sam', 'Priya', 'Jonas', 'Mei', 'Lucas', 'Amara', 'Olga', 'Diego', 'Hana', 'Tom', 'Fatima'];

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

/** A long pasted block (log, code or document), the kind of input that forces truncation. */
function pasted(random, kind, index) {
  const lines = 20 + Math.floor(random() * 140);
  const out = [];
  for (let line = 0; line < lines; line += 1) {
    if (kind === 'log') {
      const ms = 100 + Math.floor(random() * 4900);
      out.push(
        `2025-03-${String(1 + (line % 28)).padStart(2, '0')}T10:${String(line % 60).padStart(2, '0')}:12Z ERROR orders-api request_id=${index}-${line} POST /orders/${1000 + line} status=500 duration_ms=${ms} error="deadlock detected while updating row"`,
      );
    } else {
      out.push(
        `Clause ${line + 1}. The parties agree that ${pick(random, ['payment', 'delivery', 'notice', 'termination', 'liability'])} obligations under this section apply for ${1 + Math.floor(random() * 24)} months and survive any ${pick(random, ['renewal', 'assignment', 'amendment'])} of this agreement.`,
      );
    }
  }
  return out.join('\n');
}

/** A reply of 1–8 sentences from the subject's pool, so replies vary in length. */
function reply(random, subject) {
  const sentences = 1 + Math.floor(random() * random() * 8);
  return Array.from({ length: sentences }, () => pick(random, subject.replies)).join(' ');
}

/**
 * `count` interactions: `{ system, messages: [{role, text}], output: {role, text} }`. Every first
 * user turn names a person and a number, so no two interactions have the same content.
 */
export function generateInteractions(count, seed = 20250301) {
  const random = seededRandom(seed);
  const interactions = [];
  for (let index = 0; index < count; index += 1) {
    const subject = subjects[index % subjects.length];
    // Mostly short chats, some long ones: 1–6 user turns, skewed towards few.
    const userTurns = 1 + Math.floor(random() * random() * 6);
    const messages = [];
    let opener = `Hi, I am ${pick(random, names)} (#${1000 + index}). ${pick(random, subject.openers)}`;
    if (subject.paste && random() < 0.3) opener += `\n\n${pasted(random, subject.paste, index)}`;
    messages.push({ role: 'user', text: opener });
    for (let turn = 1; turn < userTurns; turn += 1) {
      messages.push({ role: 'assistant', text: reply(random, subject) });
      messages.push({ role: 'user', text: pick(random, subject.followUps) });
    }
    interactions.push({
      system: subject.system,
      messages,
      output: { role: 'assistant', text: reply(random, subject) },
    });
  }
  return interactions;
}
