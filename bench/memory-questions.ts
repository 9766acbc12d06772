/**
 * The memory benchmark's facts and questions, written apart: each question is a paraphrase that
 * shares no rare word with its fact (`sharedRareWords` enforces it), so a keyword match cannot
 * find the fact by its own words; each fact has a distractor about a similar subject (another
 * relative's key, another appointment), so a ranking that only matches the topic is caught out.
 * Even-numbered pairs are the tuning half, odd-numbered ones the held-back half whose figures the
 * benchmark reports: nothing in the kernel (RRF constant, vector weight) may be tuned on those.
 */

export interface MemoryFact {
  /** What the user tells the agent. */
  fact: string;
  /** The question asked later, in other words. */
  question: string;
  /** Any of these in the model's answer (whole words, case-insensitive) counts as correct. */
  answers: string[];
  /** A fact about a similar subject, planted in the same conversation. */
  distractor: string;
  /** The distractor's value: an answer naming it is wrong even if it also names the right one. */
  distractorAnswers: string[];
}

export const MEMORY_FACTS: readonly MemoryFact[] = [
  { fact: 'My sister keeps the spare house key under the blue flowerpot beside the porch.', question: 'Where does my female sibling hide an extra door opener?', answers: ['flowerpot', 'flower pot'], distractor: 'My brother keeps the spare car key inside the red mailbox beside the gate.', distractorAnswers: ['mailbox'] },
  { fact: 'The dentist appointment was moved to Thursday at nine.', question: 'Which weekday is my next visit to get teeth checked?', answers: ['thursday'], distractor: 'The eye doctor appointment was moved to Monday at noon.', distractorAnswers: ['monday'] },
  { fact: 'Our wifi password is marigold77.', question: 'What secret phrase lets a laptop join the home wireless network?', answers: ['marigold77', 'marigold'], distractor: 'The guest network at the office uses the passphrase bluejay12.', distractorAnswers: ['bluejay12', 'bluejay'] },
  { fact: "Grandma's birthday is on the fourteenth of March.", question: "In which month was my father's mother born?", answers: ['march'], distractor: "Grandpa's birthday is on the second of October.", distractorAnswers: ['october'] },
  { fact: 'The car is parked on level four of the Elm Street garage.', question: 'On which road is the structure where I left my vehicle?', answers: ['elm'], distractor: 'The van is parked at the Oak Avenue lot behind the bakery.', distractorAnswers: ['oak'] },
  { fact: 'Tom is allergic to peanuts.', question: 'Which food must my coworker Thomas never eat because it makes him sick?', answers: ['peanuts', 'peanut'], distractor: 'Anna is allergic to shellfish.', distractorAnswers: ['shellfish'] },
  { fact: 'The plumber charges eighty dollars per hour.', question: 'How much does the pipe repairman cost for sixty minutes of work?', answers: ['eighty', '80'], distractor: 'The electrician charges ninety dollars per hour.', distractorAnswers: ['ninety', '90'] },
  { fact: 'My passport expires in November 2029.', question: 'When does my travel document for crossing borders stop being valid?', answers: ['2029'], distractor: 'My driving licence expires in June 2027.', distractorAnswers: ['2027'] },
  { fact: "The cat's vet is Doctor Alvarez on Pine Road.", question: 'Who treats our kitten when it gets ill?', answers: ['alvarez'], distractor: "The dog's groomer is Mister Okafor on Birch Lane.", distractorAnswers: ['okafor'] },
  { fact: 'The book club meets at the library every second Tuesday.', question: 'On what day does the reading group gather?', answers: ['tuesday'], distractor: 'The chess club meets at the community hall every Friday.', distractorAnswers: ['friday'] },
  { fact: "Lena's favourite colour is turquoise.", question: 'Which shade does Helena like most?', answers: ['turquoise'], distractor: "Marco's favourite colour is maroon.", distractorAnswers: ['maroon'] },
  { fact: 'My gym locker code is 3816.', question: 'What digits open the cabinet where I store workout clothes?', answers: ['3816'], distractor: 'My bike lock code is 9042.', distractorAnswers: ['9042'] },
  { fact: 'The train to the coast leaves from platform seven.', question: 'Which track does the rail service to the seaside depart from?', answers: ['seven', '7'], distractor: 'The bus to the airport leaves from stop twelve.', distractorAnswers: ['twelve', '12'] },
  { fact: 'Our landlord is named Mrs. Whitfield.', question: 'Who owns the apartment we rent?', answers: ['whitfield'], distractor: 'Our neighbour upstairs is named Mr. Castellano.', distractorAnswers: ['castellano'] },
  { fact: 'The boiler was last serviced in August.', question: 'When did someone most recently check the water heater?', answers: ['august'], distractor: 'The chimney was last swept in January.', distractorAnswers: ['january'] },
  { fact: "My manager's extension number is 4471.", question: 'Which internal phone line reaches my boss?', answers: ['4471'], distractor: 'The front desk extension number is 2208.', distractorAnswers: ['2208'] },
  { fact: 'The spare tyre is in the boot under the carpet.', question: 'Where is the extra wheel kept in the vehicle?', answers: ['carpet', 'boot'], distractor: 'The first aid kit is in the glovebox.', distractorAnswers: ['glovebox'] },
  { fact: 'My mother takes her coffee with oat milk.', question: 'What does mom add to her morning brew?', answers: ['oat'], distractor: 'My father takes his tea with honey.', distractorAnswers: ['honey'] },
  { fact: 'The recycling is collected every Wednesday morning.', question: 'On which day do trucks pick up the bottles and paper?', answers: ['wednesday'], distractor: 'The garden waste is collected every other Saturday.', distractorAnswers: ['saturday'] },
  { fact: 'The museum ticket for children costs six euros.', question: 'What is the price of admission to the gallery for kids?', answers: ['six', '6'], distractor: 'The zoo ticket for adults costs fifteen euros.', distractorAnswers: ['fifteen', '15'] },
  { fact: 'My cousin lives above the bakery on Canal Street.', question: "On what road does my uncle's son reside?", answers: ['canal'], distractor: 'My aunt lives next to the pharmacy on Mill Road.', distractorAnswers: ['mill'] },
  { fact: 'The smoke detector battery was replaced in February.', question: 'When did the alarm that senses burning get a new power cell?', answers: ['february'], distractor: 'The doorbell battery was replaced in September.', distractorAnswers: ['september'] },
  { fact: 'Our flight to Lisbon departs at 6:40 in the morning.', question: "At what time does the plane to Portugal's capital take off?", answers: ['6:40'], distractor: 'Our flight to Madrid departs at 14:15.', distractorAnswers: ['14:15'] },
  { fact: 'The piano lesson costs thirty pounds.', question: 'How much do I pay for the keyboard instrument class?', answers: ['thirty', '30'], distractor: 'The violin lesson costs forty pounds.', distractorAnswers: ['forty', '40'] },
];

/** Neutral turns between the facts: no fact's subject or value appears in them. */
export const FILLER: readonly string[] = [
  'Let us talk about the weather: it rained a little this afternoon and then cleared up.',
  'I read an article about penguins and how they huddle together in the cold.',
  'Remind me to stretch more often, sitting all day is not great.',
  'The new episode of that documentary about volcanoes was quite interesting.',
  'I tried a recipe for lentil soup yesterday and it turned out well.',
  'There was a long queue at the post office this morning.',
  'The neighbours planted sunflowers along their fence this spring.',
  'I am thinking about learning to juggle, it looks relaxing.',
  'We watched the sunset from the hill behind the school yesterday.',
  'My phone battery drains quickly when the screen is bright.',
];

/** Words any two sentences may share: function words only, so a topic word can never slip through. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  ('a an the is are was were be been of to in on at for with from by as and or but not no it its this that these those ' +
    'i me my we us our you your he him his she her they them their what which where when who whom how why does do did ' +
    'can will would should must most more some any every other each there here up down into onto about over under ' +
    'next then than so if s').split(' '),
);

/** Lower-case word stems: plural and verb endings stripped, so `key`/`keys` count as one word. */
export function stems(text: string): Set<string> {
  const words = text.toLowerCase().replace(/'s\b/g, '').match(/[a-z0-9]+/g) ?? [];
  return new Set(words.map((word) => {
    const stem = word.length > 4 ? word.replace(/(ing|ed|es)$/, '') : word;
    return stem.length > 3 && stem.endsWith('s') && !stem.endsWith('ss') ? stem.slice(0, -1) : stem;
  }));
}

/** The rare words (outside the stop-list) two texts share; empty is what a paraphrase needs. */
export function sharedRareWords(a: string, b: string): string[] {
  const right = stems(b);
  return [...stems(a)].filter((word) => !STOP_WORDS.has(word) && right.has(word));
}

/** Throws when the set breaks its own rules: a question naming its fact's words, or an answer in its question. */
export function checkQuestionSet(facts: readonly MemoryFact[]): void {
  for (const [index, item] of facts.entries()) {
    const shared = sharedRareWords(item.question, item.fact);
    if (shared.length > 0) throw new Error(`memory question ${index} shares ${shared.join(', ')} with its fact`);
    if (judgeAnswer(item.question, item) || judgeAnswer(item.question, { answers: item.distractorAnswers, distractorAnswers: [] })) {
      throw new Error(`memory question ${index} contains an answer`);
    }
    if (!judgeAnswer(item.fact, { answers: item.answers, distractorAnswers: [] })) throw new Error(`memory fact ${index} does not contain its answer`);
  }
  for (const line of FILLER) {
    for (const item of facts) if (judgeAnswer(line, { answers: [...item.answers, ...item.distractorAnswers], distractorAnswers: [] })) throw new Error(`filler names a fact's value: ${line}`);
  }
}

function mentions(text: string, value: string): boolean {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, 'i').test(text);
}

/** Correct when the answer names the fact's value and not the distractor's. */
export function judgeAnswer(text: string, item: Pick<MemoryFact, 'answers' | 'distractorAnswers'>): boolean {
  return item.answers.some((value) => mentions(text, value)) && !item.distractorAnswers.some((value) => mentions(text, value));
}

/** Tuning half: even indices; held-back half (the reported figures): odd indices. */
export const isHeldBack = (index: number): boolean => index % 2 === 1;
